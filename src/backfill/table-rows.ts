import type { LabelIndex, TrainingTarget } from './label-index.js';
import { splitOf, type Split } from './split.js';

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
  /**
   * Recordings of this batch that get no row (outside --from/--to), in log order among the rows: a later recording
   * of their id must get none of its labels. Absent when there are none.
   */
  readonly withoutRow?: RecordingsWithoutRow;
}

/** Transaction ids concatenated (idEnds[j]: where id j ends); beforeRow[j]: the batch row it precedes (n: none). */
export interface RecordingsWithoutRow {
  readonly ids: string;
  readonly idEnds: Uint32Array;
  readonly beforeRow: Uint32Array;
}

/** What a table writer counts while it writes (for the manifest). */
export interface RowCounts {
  train: number;
  valid: number;
  test: number;
  positives: number;
  /** Rows that are a later recording of a labelled transaction id (an id reused beyond the duplicate horizon). */
  reusedIdRows: number;
}

/** Turns table rows into the bytes of one table file, hashing them as written. */
export interface TableEncoder {
  /** Labels (as known at asOfMs), splits, counts and encodes a batch, after the batches before it. */
  append(rows: TableRows, labels: LabelIndex, asOfMs: number, counts: RowCounts): void;
  /** Writes what is buffered and the file's tail; returns the size and SHA-256 of the file's bytes. */
  close(): { readonly bytes: number; readonly sha256: string };
  /** For a failed run: close without caring about the content. */
  abandon(): void;
}

/** One row of a TableRows batch as an encoder sees it: its ids, and its target and split as known at asOfMs. */
export interface TargetedRow extends TrainingTarget {
  transactionId: string;
  customerId: string;
  terminalId: string;
  split: Split;
}

/**
 * Calls `each` for every row of the batch, in order, with its ids, label (as known at asOfMs; none for a later
 * recording of its id) and split, and counts them. The batch's recordings without a row are noted in their log order
 * among the rows, so the target of every row is the same however the rows were batched. One reused object: the
 * encoders copy what they keep.
 */
export function forEachTargetedRow(
  rows: TableRows,
  labels: LabelIndex,
  asOfMs: number,
  counts: RowCounts,
  each: (row: Readonly<TargetedRow>, index: number) => void,
): void {
  const { ids, idEnds } = rows;
  const row: TargetedRow = {
    transactionId: '',
    customerId: '',
    terminalId: '',
    label: 0,
    labelReportedAtMs: Number.NaN,
    split: 'train',
  };
  const withoutRow = rows.withoutRow;
  let skipped = 0;
  const noteSkippedBefore = (i: number) => {
    if (withoutRow === undefined) return;
    while (skipped < withoutRow.beforeRow.length && withoutRow.beforeRow[skipped]! <= i) {
      labels.noteRecording(
        withoutRow.ids,
        skipped === 0 ? 0 : withoutRow.idEnds[skipped - 1]!,
        withoutRow.idEnds[skipped]!,
      );
      skipped++;
    }
  };
  let start = 0;
  for (let i = 0; i < rows.eventTimesMs.length; i++) {
    noteSkippedBefore(i);
    row.transactionId = ids.slice(start, idEnds[3 * i]!);
    row.customerId = ids.slice(idEnds[3 * i]!, idEnds[3 * i + 1]!);
    row.terminalId = ids.slice(idEnds[3 * i + 1]!, idEnds[3 * i + 2]!);
    start = idEnds[3 * i + 2]!;
    if (labels.targetOfRecording(row.transactionId, asOfMs, row)) counts.reusedIdRows++;
    row.split = splitOf(row.transactionId);
    counts[row.split]++;
    counts.positives += row.label;
    each(row, i);
  }
  noteSkippedBefore(rows.eventTimesMs.length);
}
