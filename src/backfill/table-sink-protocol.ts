import type { LabelBatch } from './label-index.js';
import type { TableFormat } from './table-format.js';
import type { RowCounts, TableRows } from './table-rows.js';

/** What a table sink reports when it closes. */
export interface TableSummary {
  readonly bytes: number;
  readonly sha256: string;
  readonly counts: RowCounts;
}

/** Messages from table-sink.ts to table-sink-worker.ts. */
export type SinkRequest =
  | {
      readonly type: 'open';
      readonly path: string;
      readonly format: TableFormat;
      readonly columns: readonly string[];
      /** Labels reported after this are not known (-Infinity: none is). */
      readonly asOfMs: number;
    }
  /** Before 'open': labels for the index the worker builds (the main thread keeps none). */
  | { readonly type: 'labels'; readonly labels: LabelBatch }
  | { readonly type: 'rows'; readonly rows: TableRows }
  | { readonly type: 'close' };

/** Replies of the worker. */
export type SinkReply =
  | { readonly type: 'written' }
  | { readonly type: 'closed'; readonly summary: TableSummary }
  | { readonly type: 'failed'; readonly message: string };
