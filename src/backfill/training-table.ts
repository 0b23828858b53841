import type { PositionedTransaction } from '../core/contract/events.js';
import type { FeatureRow } from '../core/features/types.js';
import { csvField } from './csv.js';
import type { TrainingLabel } from './label-index.js';
import type { Split } from './split.js';
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
 * Writes one CSV line. Numbers use JavaScript's Number-to-String, the shortest text that reads back as the same
 * double: deterministic, and lossless for a trainer that parses it as float64. The line is built as one string and
 * copied into the writer's buffer at once (one native call per row; the string dies young).
 */
export function writeTableRow(
  out: HashingFileWriter,
  tx: PositionedTransaction,
  row: FeatureRow,
  label: TrainingLabel,
  split: Split,
): void {
  let line = `${csvField(tx.transactionId)},${tx.eventTimeMs},${csvField(tx.customerId)},${csvField(tx.terminalId)}`;
  const values = row.values;
  for (let f = 0; f < values.length; f++) {
    line += `,${values[f]!}`;
  }
  out.reserveRow();
  out.text(`${line},${label.label},${label.reportedAtMs ?? ''},${split}\n`);
}
