/**
 * Reads chosen fields of one JSON Lines record without JSON.parse: it costs ~1.8 µs per line on the reference
 * machine, a third of the backfill's per-event budget, while one compiled regular expression costs ~0.35 µs.
 *
 * Exact by construction: the fast path accepts only the canonical shape — a flat object, no whitespace, the columns
 * first and in order, then optionally other flat fields that do not repeat a column; string values without escapes
 * or control characters, numbers in the JSON number grammar (for which Number() gives exactly JSON.parse's double).
 * Any other line (escapes, nesting, spacing, other order, invalid JSON) is left to JSON.parse by the caller.
 */

const NUMBER = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
const STRING_BODY = '[^"\\\\\\u0000-\\u001f]*';
const LITERAL = 'true|false|null';
/** Three capture groups per field: number text, string body, literal. */
const VALUE = `(?:(${NUMBER})|"(${STRING_BODY})"|(${LITERAL}))`;
const ANY_VALUE = `(?:${NUMBER}|"${STRING_BODY}"|${LITERAL})`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type FlatJsonReader = (line: string, values: unknown[]) => boolean;

/**
 * Returns a function that fills values[k] with column k's value and returns true, or returns false when the line
 * is not in the canonical shape (values is then unspecified).
 */
export function flatJsonReader(columns: readonly string[]): FlatJsonReader {
  const fields = columns.map((column) => `"${escapeRegExp(column)}":${VALUE}`).join(',');
  const others = `(?:,"(?!(?:${columns.map(escapeRegExp).join('|')})")${STRING_BODY}":${ANY_VALUE})*`;
  const pattern = new RegExp(`^\\{${fields}${others}\\}$`);
  return (line, values) => {
    const match = pattern.exec(line);
    if (match === null) {
      return false;
    }
    for (let k = 0; k < columns.length; k++) {
      const number = match[3 * k + 1];
      const string = match[3 * k + 2];
      const literal = match[3 * k + 3];
      values[k] =
        number !== undefined
          ? Number(number)
          : string !== undefined
            ? string
            : literal === 'true'
              ? true
              : literal === 'false'
                ? false
                : null;
    }
    return true;
  };
}
