import { csvField } from './csv.js';
import type { LabelIndex } from './label-index.js';
import { splitOf, type Split } from './split.js';
import type { HashingFileWriter } from './table-writer.js';

/** The training table's columns: identity, the features in model input order, the target, the split. */
export function tableColumns(featureNames: readonly string[]): string[] {
  return [
    'transaction_id',
    'event_time_ms',
    'customer_id',
    'terminal_id',
    ...featureNames,
    'label',
    'label_reported_at_ms',
    'split',
  ];
}

/**
 * A batch of table rows in columns: one string and typed arrays, so that it crosses to a worker thread cheaply
 * (the arrays are transferred, not copied).
 */
export interface TableRows {
  /**
   * The ids of all rows, concatenated (transaction, customer, terminal, then the next row's); idEnds[3 * i + k] is
   * where field k of row i ends. One string instead of three per row: a worker receives it with one copy.
   */
  readonly ids: string;
  readonly idEnds: Uint32Array;
  readonly eventTimesMs: Float64Array;
  /** rows × featureCount values, row-major. */
  readonly values: Float64Array;
  readonly featureCount: number;
}

/** What a table writer counts while it writes (for the manifest). */
export interface RowCounts {
  train: number;
  valid: number;
  test: number;
  positives: number;
}

/**
 * Writes the rows as CSV lines, with their label as known at asOfMs and their split. Numbers use JavaScript's
 * Number-to-String, the shortest text that reads back as the same double: deterministic, and lossless for a trainer
 * that parses float64. Each line is built as one string and copied into the writer's buffer at once (one native
 * call per row; the string dies young).
 */
export function writeTableRows(
  out: HashingFileWriter,
  rows: TableRows,
  labels: LabelIndex,
  asOfMs: number,
  counts: RowCounts,
): void {
  const { values, featureCount, ids, idEnds } = rows;
  let start = 0;
  for (let i = 0; i < rows.eventTimesMs.length; i++) {
    const id = ids.slice(start, idEnds[3 * i]!);
    const customerId = ids.slice(idEnds[3 * i]!, idEnds[3 * i + 1]!);
    const terminalId = ids.slice(idEnds[3 * i + 1]!, idEnds[3 * i + 2]!);
    start = idEnds[3 * i + 2]!;
    let line = `${csvField(id)},${rows.eventTimesMs[i]!},${csvField(customerId)},${csvField(terminalId)}`;
    for (let f = i * featureCount; f < (i + 1) * featureCount; f++) {
      line += `,${values[f]!}`;
    }
    const label = labels.labelOf(id, asOfMs);
    const split: Split = splitOf(id);
    counts[split]++;
    counts.positives += label.label;
    out.reserveRow();
    out.text(`${line},${label.label},${label.reportedAtMs ?? ''},${split}\n`);
  }
}
