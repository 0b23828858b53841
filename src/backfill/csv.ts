/**
 * The CSV dialect of backfill inputs and the training table: RFC 4180 fields (comma separated, optional double
 * quotes, "" for a quote inside quotes), one record per line. A quoted field may not span lines: inputs are read
 * line by line, and an unterminated quote is reported as an error rather than silently joining lines.
 */

/** Splits one line into fields; returns null if a quote is not terminated. */
export function splitCsvLine(line: string): string[] | null {
  if (!line.includes('"')) {
    return line.split(',');
  }
  const fields: string[] = [];
  let field = '';
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) {
          return null;
        }
        field += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          field += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      // Anything between the closing quote and the next comma is kept as written.
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      field += line.slice(i, end);
      fields.push(field);
      field = '';
      i = end + 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** Quotes a field only when it must be: ids in the training table stay readable. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
