import type { InputFingerprint } from './line-reader.js';
import type { SourceFingerprint } from './sources.js';
import type { TableFormat } from './table-format.js';

/**
 * What a training table is, written next to it. Everything in it follows from the inputs and options: the same
 * inputs give a byte-identical manifest (no run time, host or path prefix inside; files are named by base name and
 * identified by SHA-256). The trainer copies the table's SHA-256 and the schema version into the model card.
 */
export interface BackfillManifest {
  readonly kind: 'fraudscore.training-table';
  /** 1: a CSV table (the table carries no format field); 2: the table's format is named in table.format. */
  readonly formatVersion: 1 | 2;
  readonly featureSchemaVersion: string;
  readonly featureNames: readonly string[];
  readonly labelDelayMs: number;
  readonly latenessMarginMs: number;
  /** Labels reported after this were not known to the label column; null when there were no labels. */
  readonly labelAsOfMs: number | null;
  readonly eventTime: {
    /** The --from/--to filter: rows for fromMs <= event time < toMs (null: open). */
    readonly filter: { readonly fromMs: number | null; readonly toMs: number | null };
    /** Smallest and largest event time among the rows written (null if none). */
    readonly rows: { readonly minMs: number | null; readonly maxMs: number | null };
    /** Smallest and largest event time among all events read. */
    readonly events: { readonly minMs: number | null; readonly maxMs: number | null };
  };
  readonly rows: number;
  readonly positiveRows: number;
  readonly splits: { readonly train: number; readonly valid: number; readonly test: number };
  readonly eventsRead: number;
  /**
   * Events left out as duplicates (a transaction id repeated within the duplicate horizon, docs/features.md); absent
   * when there were none, so that the manifests of duplicate-free inputs keep their bytes (model cards record them).
   */
  readonly duplicatesSkipped?: number;
  /**
   * Rows of a transaction id that has labels and was recorded before (an id reused beyond the duplicate horizon: a
   * new transaction). The id's labels belong to its first recording, in the features as in the target, so these rows
   * get label 0 and no report time. Absent when there were none, as duplicatesSkipped.
   */
  readonly reusedIdRows?: number;
  readonly labelsRead: number;
  readonly fraudLabelsRead: number;
  /**
   * The table file: base name, size and the SHA-256 of its exact bytes as written (the dataset hash model cards
   * record), its columns, and its format when not CSV (absent for CSV, so that CSV manifests keep their bytes).
   */
  readonly table: { readonly format?: TableFormat } & InputFingerprint & { readonly columns: readonly string[] };
  readonly inputs: { readonly events: SourceFingerprint; readonly labels: readonly SourceFingerprint[] };
}

/** Two-space JSON with a final newline; key order is the interface's, fixed by construction. */
export function renderManifest(manifest: BackfillManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
