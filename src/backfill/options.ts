import { extname } from 'node:path';
import type { InputFormat } from './record-parsers.js';
import type { LabelSource, TransactionSource } from './sources.js';
import { BackfillOptionError } from './errors.js';
import { parseIsoTime } from './iso-time.js';
import { DEFAULT_TABLE_FORMAT, isTableFormat, TableFormat } from './table-format.js';

export interface BackfillOptions {
  /** Events in log order: a JSON Lines or CSV file (partition 0, line order), or any TransactionSource. */
  readonly events: string | TransactionSource;
  /**
   * Label files or sources; none means every row gets label 0 (the run warns). All labels are read before the first
   * event.
   */
  readonly labels?: string | LabelSource | readonly (string | LabelSource)[];
  /** Format of file inputs when the extension does not tell (.jsonl/.ndjson/.json, .csv). */
  readonly format?: InputFormat;
  /** Path of the training table. The manifest goes next to it: `<out>.manifest.json`. */
  readonly out: string;
  /** Parquet (default) or CSV; the manifest's table.sha256 is over the file's bytes in that format. */
  readonly tableFormat?: TableFormat;
  /** The topology's label delay d (features.labelDelayDays days), as the online engine uses it. */
  readonly labelDelayMs: number;
  /** Rows only for events with fromMs <= event time (inclusive); earlier events still feed the windows. */
  readonly fromMs?: number;
  /** Rows only for events with event time < toMs (exclusive). */
  readonly toMs?: number;
  /** Labels reported after this are not known to the target column. Default: the latest reported_at read. */
  readonly labelAsOfMs?: number;
  /** Events per featurize() call; results do not depend on it. Default 4096. */
  readonly batchSize?: number;
  /** As the online engine's latenessMarginMs (default one day); must match it for bit-identical features. */
  readonly latenessMarginMs?: number;
  /**
   * Label, format and write the table in a worker thread (default), overlapping with the feature engine on the
   * main thread; false keeps everything on one thread (same bytes).
   */
  readonly writerThread?: boolean;
  /**
   * Aborting stops the run between two batches: no table, no manifest, no partial file; the run rejects with the
   * signal's reason.
   */
  readonly signal?: AbortSignal;
  /** Progress on stderr: a bar at a terminal, a plain line every few seconds elsewhere. Default: off (the CLI turns it on). */
  readonly progress?: boolean;
  /** Where the manifest and the run's timing are printed. Default process.stdout; null prints nothing. */
  readonly stdout?: NodeJS.WritableStream | null;
  /**
   * Where warnings go: a table is written, but may not be what was meant (no labels, so every row is genuine).
   * Default process.stderr; null prints nothing.
   */
  readonly stderr?: NodeJS.WritableStream | null;
}

export const DEFAULT_BATCH_SIZE = 4096;

/**
 * Parses a --from/--to/--label-as-of value: epoch milliseconds or an ISO-8601 date or date-time (a date alone
 * means its midnight UTC). For the CLI, which maps the error to a usage message.
 */
export function parseTimeOption(value: string, option: string): number {
  const text = value.trim();
  if (/^-?\d+$/.test(text)) {
    const ms = Number(text);
    if (Number.isSafeInteger(ms)) return ms;
  }
  const time = parseIsoTime(text, { dateAlone: true });
  if (time !== null && 'ms' in time) return time.ms;
  if (time !== null) {
    throw new BackfillOptionError(
      option,
      `"${value}" is not on the calendar: ${time.impossible}; write a date and time that exist`,
    );
  }
  throw new BackfillOptionError(
    option,
    `expected epoch milliseconds or ISO-8601 (2024-01-31 or 2024-01-31T00:00:00Z), got "${value}"`,
  );
}

/**
 * The command-line flag of each option a user sets: errors name what the user typed (the options of runBackfill
 * are those of `fraudscore backfill`). labelDelayMs comes from the topology, batchSize has no flag.
 */
export const FLAGS = {
  events: '--events',
  labels: '--labels',
  out: '--out',
  tableFormat: '--table-format',
  fromMs: '--from',
  toMs: '--to',
  labelAsOfMs: '--label-as-of',
} as const;

/** The table format a file name's extension says, or null if it says none. */
function formatNamed(path: string): TableFormat | null {
  const extension = extname(path).toLowerCase();
  return extension === '.csv' ? TableFormat.Csv : extension === '.parquet' ? TableFormat.Parquet : null;
}

const FORMAT_NAMES: Readonly<Record<TableFormat, string>> = { parquet: 'Parquet', csv: 'CSV' };

/** Checks of the options alone (no I/O); the files they name are checked by checkFiles (file-checks.ts). */
export function checkOptions(options: BackfillOptions): void {
  if (!Number.isSafeInteger(options.labelDelayMs) || options.labelDelayMs <= 0) {
    throw new BackfillOptionError('labelDelayMs', `must be a positive integer, got ${String(options.labelDelayMs)}`);
  }
  for (const name of ['fromMs', 'toMs', 'labelAsOfMs'] as const) {
    const value = options[name];
    if (value !== undefined && !Number.isFinite(value)) {
      throw new BackfillOptionError(FLAGS[name], `must be a finite epoch-millisecond time, got ${String(value)}`);
    }
  }
  if (options.fromMs !== undefined && options.toMs !== undefined && options.fromMs >= options.toMs) {
    const iso = (ms: number) => new Date(ms).toISOString();
    throw new BackfillOptionError(
      `${FLAGS.fromMs}/${FLAGS.toMs}`,
      `--from ${iso(options.fromMs)} is not before --to ${iso(options.toMs)}, so the window selects nothing ` +
        '(rows are for event times from --from up to, not including, --to); give a --to later than --from',
    );
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new BackfillOptionError('batchSize', `must be a positive integer, got ${String(batchSize)}`);
  }
  if (options.tableFormat !== undefined && !isTableFormat(options.tableFormat)) {
    throw new BackfillOptionError(FLAGS.tableFormat, `must be "parquet" or "csv", got ${String(options.tableFormat)}`);
  }
  if (options.out.length === 0) {
    throw new BackfillOptionError(FLAGS.out, 'must be a file path');
  }
  // A .csv file holding Parquet (or the reverse) misleads every reader of the table, the trainer included.
  const format = options.tableFormat ?? DEFAULT_TABLE_FORMAT;
  const named = formatNamed(options.out);
  if (named !== null && named !== format) {
    const given = options.tableFormat === undefined ? `${format}, the default` : format;
    throw new BackfillOptionError(
      FLAGS.out,
      `the name says ${FORMAT_NAMES[named]}, but the table would be ${FORMAT_NAMES[format]} ` +
        `(${FLAGS.tableFormat} ${given}); add ${FLAGS.tableFormat} ${named}, or name the file ` +
        `${options.out.slice(0, -extname(options.out).length)}.${format}`,
      options.out,
    );
  }
}
