import { csvField } from './csv.js';
import { forEachTargetedRow, type TableEncoder } from './table-rows.js';
import { HashingFileWriter } from './table-writer.js';

/**
 * The table as CSV: a header line, then one line per row. Numbers use JavaScript's Number-to-String, the shortest
 * text that reads back as the same double: deterministic, and lossless for a trainer that parses float64. Each
 * line is built as one string and copied into the writer's buffer at once (one native call per row; the string
 * dies young).
 */
export function createCsvTableEncoder(path: string, columns: readonly string[]): TableEncoder {
  const out = new HashingFileWriter(path);
  out.text(`${columns.join(',')}\n`);
  return {
    append(rows, labels, asOfMs, counts) {
      const { values, featureCount, eventTimesMs } = rows;
      forEachTargetedRow(rows, labels, asOfMs, counts, (row, i) => {
        let line = `${csvField(row.transactionId)},${eventTimesMs[i]!},${csvField(row.customerId)},${csvField(row.terminalId)}`;
        for (let f = i * featureCount; f < (i + 1) * featureCount; f++) {
          line += `,${values[f]!}`;
        }
        out.reserveRow();
        out.text(
          `${line},${row.label},${Number.isNaN(row.labelReportedAtMs) ? '' : row.labelReportedAtMs},${row.split}\n`,
        );
      });
    },
    close: () => out.close(),
    abandon: () => out.abandon(),
  };
}
