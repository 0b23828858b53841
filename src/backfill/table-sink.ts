import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { LabelIndex, type LabelBatch } from './label-index.js';
import type { SinkReply, SinkRequest, TableSummary } from './table-sink-protocol.js';
import { createTableEncoder, type TableEncoder } from './table-encoder.js';
import type { TableFormat } from './table-format.js';
import type { RowCounts, TableRows } from './table-rows.js';

export type { TableSummary } from './table-sink-protocol.js';

/** Where table rows go: labelled, formatted, hashed and written, in append order. */
export interface TableSink {
  /** Before open(): labels for the target column, as they are read. */
  addLabels(labels: LabelBatch): void;
  /** After the last labels: starts the table; labels reported after asOfMs are not known (-Infinity: none is). */
  open(asOfMs: number): void;
  /** Resolves when the sink can take more (backpressure). */
  append(rows: TableRows): Promise<void>;
  close(): Promise<TableSummary>;
  /** Stops without a summary (the caller removes the file). */
  abandon(): Promise<void>;
}

export interface TableSinkOptions {
  readonly path: string;
  readonly format: TableFormat;
  readonly columns: readonly string[];
}

/**
 * Batches in flight to the worker before append() waits: enough to keep both threads busy while the worker encodes
 * a whole row group at once (a Parquet group is 16 default batches), bounded memory (~1 MB per batch).
 */
const MAX_IN_FLIGHT = 24;

/**
 * How long the writer thread is left idle between its last reply and its teardown. Node 20 unregisters a worker's
 * isolate from its platform before it disposes of it, and a background compile job of V8 still running for the
 * thread's last hot code can ask the platform for that isolate in between: the process aborts ("Assertion failed:
 * (data.first) != nullptr" in NodePlatform::ForIsolate). It did in about 1 of 30 runs of the backfill's unit tests on
 * a loaded machine. Compile jobs take milliseconds and nothing queues new ones while the thread is idle.
 */
const IDLE_BEFORE_TEARDOWN_MS = 250;

/**
 * A sink that labels, formats and writes in a worker thread, so that the main thread only reads, parses and runs
 * the feature engine (which is sequential): on a 2-core machine the two halves overlap. The worker runs the same
 * table encoder as the in-process sink, in the same order, so the bytes are the same.
 */
export function createWorkerTableSink(options: TableSinkOptions): TableSink {
  const worker = new Worker(new URL('./table-sink-worker.js', import.meta.url));
  let failure: Error | null = null;
  let finished = false;
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let settleClose: { resolve: (summary: TableSummary) => void; reject: (error: Error) => void } | null = null;

  const fail = (error: Error) => {
    failure ??= error;
    wake?.();
    settleClose?.reject(failure);
  };
  worker.on('message', (reply: SinkReply) => {
    if (reply.type === 'written') {
      inFlight--;
      wake?.();
    } else if (reply.type === 'closed') {
      settleClose?.resolve(reply.summary);
    } else {
      fail(new Error(`table writer: ${reply.message}`));
    }
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!finished) fail(new Error(`table writer thread exited early (code ${code})`));
  });
  const send = (request: SinkRequest, transfer: ArrayBuffer[] = []) => worker.postMessage(request, transfer);

  return {
    addLabels(labels) {
      const transfer = [labels.idEnds.buffer, labels.reportedAtMs.buffer, labels.isFraud.buffer] as ArrayBuffer[];
      send({ type: 'labels', labels }, transfer);
    },
    open(asOfMs) {
      send({ type: 'open', path: options.path, format: options.format, columns: options.columns, asOfMs });
    },
    async append(rows) {
      if (failure) throw failure;
      inFlight++;
      const buffers = [rows.idEnds.buffer, rows.eventTimesMs.buffer, rows.values.buffer];
      if (rows.withoutRow !== undefined) buffers.push(rows.withoutRow.idEnds.buffer, rows.withoutRow.beforeRow.buffer);
      const transfer = buffers as ArrayBuffer[];
      send({ type: 'rows', rows }, transfer);
      while (inFlight >= MAX_IN_FLIGHT && failure === null) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      if (failure) throw failure;
    },
    async close() {
      if (failure) throw failure;
      const summary = await new Promise<TableSummary>((resolve, reject) => {
        settleClose = { resolve, reject };
        send({ type: 'close' });
      });
      finished = true;
      await sleep(IDLE_BEFORE_TEARDOWN_MS);
      await worker.terminate();
      return summary;
    },
    async abandon() {
      finished = true;
      await worker.terminate();
    },
  };
}

/** The same sink without a thread. */
export function createInProcessTableSink(options: TableSinkOptions): TableSink {
  const labels = new LabelIndex();
  let table: { encoder: TableEncoder; asOfMs: number } | null = null;
  const counts: RowCounts = { train: 0, valid: 0, test: 0, positives: 0, reusedIdRows: 0 };
  const opened = () => {
    if (table === null) throw new Error('table sink: rows before open()');
    return table;
  };
  return {
    addLabels(batch) {
      labels.add(batch);
    },
    open(asOfMs) {
      table = { encoder: createTableEncoder(options.format, options.path, options.columns), asOfMs };
    },
    append(rows) {
      const { encoder, asOfMs } = opened();
      encoder.append(rows, labels, asOfMs, counts);
      return Promise.resolve();
    },
    close() {
      return Promise.resolve({ ...opened().encoder.close(), counts });
    },
    abandon() {
      table?.encoder.abandon();
      return Promise.resolve();
    },
  };
}
