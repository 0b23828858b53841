import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PositionedTransaction } from '../core/contract/events.js';
import { DEFAULT_LATENESS_MARGIN_MS } from '../core/features/definitions.js';
import { createFeatureEngine } from '../core/features/engine.js';
import { createMemoryFeatureState } from '../core/features/memory-state.js';
import type { FeatureRow } from '../core/features/types.js';
import { BackfillEmptyError, BackfillOptionError } from './errors.js';
import { checkFiles } from './file-checks.js';
import { labelBatchOf, LabelTally } from './label-index.js';
import { renderManifest, type BackfillManifest } from './manifest.js';
import { checkOptions, DEFAULT_BATCH_SIZE, FLAGS, type BackfillOptions } from './options.js';
import { createProgress } from './progress.js';
import {
  fileLabelSource,
  fileTransactionSource,
  type LabelSource,
  type SourceFingerprint,
  type TransactionSource,
} from './sources.js';
import { DEFAULT_TABLE_FORMAT, TableFormat } from './table-format.js';
import { tableColumns, type TableRows } from './table-rows.js';
import { createInProcessTableSink, createWorkerTableSink, type TableSink, type TableSummary } from './table-sink.js';
import { makeDirectories } from '../adapters/files/make-directories.js';

export interface BackfillResult {
  readonly manifest: BackfillManifest;
  readonly tablePath: string;
  readonly manifestPath: string;
  /** Run timing: printed and returned, never written into the manifest (it would break reproducibility). */
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
}

/** Labels are read in large batches: they only go into maps. */
const LABEL_BATCH = 16_384;

/**
 * Builds a training table: labels first (features filter them by reported_at <= t, so knowing them all up front
 * leaks nothing), then every event in log order through the same feature engine as the online runner, with the
 * in-memory state. Writes the table and its manifest atomically (temporary file, then rename).
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  checkOptions(options);
  await checkFiles(options);
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const latenessMarginMs = options.latenessMarginMs ?? DEFAULT_LATENESS_MARGIN_MS;
  const fromMs = options.fromMs ?? -Infinity;
  const toMs = options.toMs ?? Infinity;
  const events =
    typeof options.events === 'string' ? fileTransactionSource(options.events, options.format) : options.events;
  const labelSources = labelSourcesOf(options);
  const engine = createFeatureEngine({
    state: createMemoryFeatureState(),
    labelDelayMs: options.labelDelayMs,
    latenessMarginMs,
  });

  const tablePath = options.out;
  const manifestPath = `${tablePath}.manifest.json`;
  try {
    makeDirectories(dirname(tablePath));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : (code ?? String(error));
    throw new BackfillOptionError(
      FLAGS.out,
      `cannot make its directory ${dirname(tablePath)} (${why}); name a file in a directory that exists or can be made`,
      tablePath,
    );
  }
  const partial = `${tablePath}.partial`;
  const columns = tableColumns(engine.schema.names);
  const featureCount = engine.schema.names.length;
  const tableFormat = options.tableFormat ?? DEFAULT_TABLE_FORMAT;
  const sinkOptions = { path: partial, format: tableFormat, columns };
  const sink: TableSink =
    options.writerThread === false ? createInProcessTableSink(sinkOptions) : createWorkerTableSink(sinkOptions);
  const labels = new LabelTally();
  let labelAsOfMs: number | null = null;
  const progress = createProgress(options.progress ?? false);
  let eventsRead = 0;
  let rowCount = 0;
  let duplicates = 0;
  let inWindow = 0;
  const window = { rowMin: Infinity, rowMax: -Infinity, eventMin: Infinity, eventMax: -Infinity };
  let table: TableSummary;
  try {
    // The label index for the target column is built by the sink (the writer thread) as the labels stream by; this
    // thread keeps only the counts, and the engine its own label state.
    for (const source of labelSources) {
      for await (const batch of source.batches(LABEL_BATCH)) {
        options.signal?.throwIfAborted();
        labels.add(batch);
        sink.addLabels(labelBatchOf(batch));
        await engine.ingestLabels(batch);
      }
    }
    labelAsOfMs = options.labelAsOfMs ?? labels.latestReportedAtMs;
    sink.open(labelAsOfMs ?? -Infinity);
    for await (const batch of events.batches(batchSize)) {
      options.signal?.throwIfAborted();
      const rows = await engine.featurize(batch);
      eventsRead += batch.length;
      // The rows of this batch inside [from, to), in columns for the writer thread, and the recordings outside it
      // (their ids: a later recording of one gets none of its labels, which belong to the first).
      const selected: number[] = [];
      const recordedWithoutRow: number[] = [];
      for (let i = 0; i < batch.length; i++) {
        const t = batch[i]!.eventTimeMs;
        if (t < window.eventMin) window.eventMin = t;
        if (t > window.eventMax) window.eventMax = t;
        const selectable = t >= fromMs && t < toMs;
        if (selectable) inWindow++;
        // A duplicate (a transaction id repeated within the horizon) gets no row, as it gets no score online.
        if (rows[i]!.duplicateOf !== undefined) {
          duplicates++;
          continue;
        }
        if (selectable) {
          if (t < window.rowMin) window.rowMin = t;
          if (t > window.rowMax) window.rowMax = t;
          selected.push(i);
        } else {
          recordedWithoutRow.push(i);
        }
      }
      if (selected.length > 0 || recordedWithoutRow.length > 0) {
        await sink.append(tableRowsOf(batch, rows, selected, recordedWithoutRow, featureCount));
        rowCount += selected.length;
      }
      const { done, total } = events.progress();
      progress.update(done, total, eventsRead);
    }
    options.signal?.throwIfAborted();
    if (rowCount === 0) throw noRows(events, eventsRead, inWindow, options, window);
    table = await sink.close();
    // Stopped while the last row group was written: no table either.
    options.signal?.throwIfAborted();
  } catch (error) {
    await sink.abandon();
    rmSync(partial, { force: true });
    throw error;
  } finally {
    progress.stop();
  }

  const orNull = (value: number) => (Number.isFinite(value) ? value : null);
  const manifest: BackfillManifest = {
    kind: 'fraudscore.training-table',
    // A CSV table's manifest keeps version 1 and its bytes (model cards record its SHA-256); version 2 names the format.
    formatVersion: tableFormat === TableFormat.Csv ? 1 : 2,
    featureSchemaVersion: engine.schema.version,
    featureNames: engine.schema.names,
    labelDelayMs: options.labelDelayMs,
    latenessMarginMs,
    labelAsOfMs,
    eventTime: {
      filter: { fromMs: options.fromMs ?? null, toMs: options.toMs ?? null },
      rows: { minMs: orNull(window.rowMin), maxMs: orNull(window.rowMax) },
      events: { minMs: orNull(window.eventMin), maxMs: orNull(window.eventMax) },
    },
    rows: rowCount,
    positiveRows: table.counts.positives,
    splits: { train: table.counts.train, valid: table.counts.valid, test: table.counts.test },
    eventsRead,
    ...(duplicates > 0 ? { duplicatesSkipped: duplicates } : {}),
    ...(table.counts.reusedIdRows > 0 ? { reusedIdRows: table.counts.reusedIdRows } : {}),
    labelsRead: labels.labels,
    fraudLabelsRead: labels.fraudLabels,
    table: {
      ...(tableFormat === TableFormat.Csv ? {} : { format: tableFormat }),
      file: basename(tablePath),
      bytes: table.bytes,
      sha256: table.sha256,
      columns,
    },
    inputs: { events: events.fingerprint(), labels: labelSources.map((source) => source.fingerprint()) },
  };
  const rendered = renderManifest(manifest);
  try {
    renameSync(partial, tablePath);
    writeFileSync(`${manifestPath}.partial`, rendered);
    renameSync(`${manifestPath}.partial`, manifestPath);
  } catch (error) {
    // Checked up front (checkFiles), but the files may have changed during the run: no partial file stays behind.
    rmSync(partial, { force: true });
    rmSync(`${manifestPath}.partial`, { force: true });
    throw error;
  }

  const elapsedMs = performance.now() - started;
  const eventsPerSecond = eventsRead / (elapsedMs / 1000);
  if (options.stdout !== null) {
    const stdout = options.stdout ?? process.stdout;
    stdout.write(rendered);
    stdout.write(
      `backfill: ${eventsRead} events, ${rowCount} rows in ${(elapsedMs / 1000).toFixed(2)} s ` +
        `(${Math.round(eventsPerSecond)} events/s) -> ${tablePath}\n`,
    );
  }
  // Warnings last, after the manifest: about a table that was written, and where they are not scrolled away.
  const warn = (line: string) => {
    if (options.stderr !== null) (options.stderr ?? process.stderr).write(`backfill: warning: ${line}\n`);
  };
  if (labelSources.length === 0) {
    // Labels come only from --labels (files or topics): without it no row can be labelled fraud.
    warn(
      'no --labels given: every row is labelled genuine (label 0), a table no model can learn fraud from; pass ' +
        "--labels with the fraud reports (files, or topic: for the topology's labels topic)",
    );
  } else if (table.counts.positives === 0) {
    warn(
      `no row is labelled fraud: of the ${labels.labels} labels read (${labels.fraudLabels} fraud), none marks a ` +
        'row of the table as fraud by the label-as-of time; check that --labels belongs to these --events',
    );
  }
  return { manifest, tablePath, manifestPath, elapsedMs, eventsPerSecond };
}

function tableRowsOf(
  batch: readonly PositionedTransaction[],
  rows: readonly FeatureRow[],
  selected: readonly number[],
  recordedWithoutRow: readonly number[],
  featureCount: number,
): TableRows {
  const n = selected.length;
  let ids = '';
  const idEnds = new Uint32Array(3 * n);
  const eventTimesMs = new Float64Array(n);
  const values = new Float64Array(n * featureCount);
  for (let j = 0; j < n; j++) {
    const i = selected[j]!;
    const tx = batch[i]!;
    ids += tx.transactionId;
    idEnds[3 * j] = ids.length;
    ids += tx.customerId;
    idEnds[3 * j + 1] = ids.length;
    ids += tx.terminalId;
    idEnds[3 * j + 2] = ids.length;
    eventTimesMs[j] = tx.eventTimeMs;
    values.set(rows[i]!.values, j * featureCount);
  }
  if (recordedWithoutRow.length === 0) return { ids, idEnds, eventTimesMs, values, featureCount };
  // Both lists ascend by batch index: each recording without a row goes before the first selected row after it.
  let skippedIds = '';
  const skippedEnds = new Uint32Array(recordedWithoutRow.length);
  const beforeRow = new Uint32Array(recordedWithoutRow.length);
  let row = 0;
  recordedWithoutRow.forEach((i, j) => {
    while (row < n && selected[row]! < i) row++;
    skippedIds += batch[i]!.transactionId;
    skippedEnds[j] = skippedIds.length;
    beforeRow[j] = row;
  });
  return {
    ids,
    idEnds,
    eventTimesMs,
    values,
    featureCount,
    withoutRow: { ids: skippedIds, idEnds: skippedEnds, beforeRow },
  };
}

/** Why a run selected no row, naming the option to change: empty events, or a window that selects none of them. */
function noRows(
  events: TransactionSource,
  eventsRead: number,
  inWindow: number,
  options: BackfillOptions,
  window: { readonly eventMin: number; readonly eventMax: number },
): BackfillEmptyError {
  if (eventsRead === 0) {
    const named = typeof options.events === 'string' ? options.events : events.name;
    return new BackfillEmptyError(`--events ${named}`, emptyInput(events.fingerprint()));
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const flags = [
    ...(options.fromMs !== undefined ? [`--from ${iso(options.fromMs)}`] : []),
    ...(options.toMs !== undefined ? [`--to ${iso(options.toMs)}`] : []),
  ].join(' ');
  const span = `their event times run from ${iso(window.eventMin)} to ${iso(window.eventMax)}`;
  return new BackfillEmptyError(
    flags || '--events',
    inWindow === 0
      ? `the window selects none of the ${eventsRead} events read (${span}); choose a window that overlaps them`
      : `all ${inWindow} events ${flags ? 'in the window ' : ''}repeat an earlier transaction id, and a repeat ` +
          `gets no row (${span})`,
  );
}

/** What an events input that gave no event holds. */
function emptyInput(fingerprint: SourceFingerprint): string {
  if ('topic' in fingerprint) {
    const skipped = Object.entries(fingerprint.skipped).map(([reason, n]) => `${n} ${reason}`);
    return (
      `no transaction to read: the topic held ${fingerprint.records} records up to its end` +
      (skipped.length > 0 ? `, all skipped as the pipeline dead-letters them (${skipped.join(', ')})` : '') +
      '; name the topic the transactions are on'
    );
  }
  return (
    (fingerprint.bytes === 0
      ? 'the file is empty (0 bytes)'
      : `the file holds no event (${fingerprint.bytes} bytes of blank lines or a header)`) +
    '; give a file with the transactions to build the table from'
  );
}

function labelSourcesOf(options: BackfillOptions): LabelSource[] {
  const given = options.labels === undefined ? [] : Array.isArray(options.labels) ? options.labels : [options.labels];
  return (given as readonly (string | LabelSource)[]).map((item) =>
    typeof item === 'string' ? fileLabelSource(item, options.format) : item,
  );
}
