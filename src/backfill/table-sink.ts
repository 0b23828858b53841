import { Worker } from 'node:worker_threads';
import type { LabelIndex } from './label-index.js';
import type { SinkReply, SinkRequest, TableSummary } from './table-sink-protocol.js';
import { createTableEncoder } from './table-encoder.js';
import type { TableFormat } from './table-format.js';
import type { RowCounts, TableRows } from './table-rows.js';

export type { TableSummary } from './table-sink-protocol.js';

/** Where table rows go: labelled, formatted, hashed and written, in append order. */
export interface TableSink {
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
  readonly labels: LabelIndex;
  /** Labels reported after this are not known (-Infinity: none is). */
  readonly asOfMs: number;
}

/** Batches in flight to the worker before append() waits: enough to keep both threads busy, bounded memory. */
const MAX_IN_FLIGHT = 4;

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
  send({
    type: 'open',
    path: options.path,
    format: options.format,
    columns: options.columns,
    labels: options.labels.toData(),
    asOfMs: options.asOfMs,
  });

  return {
    async append(rows) {
      if (failure) throw failure;
      inFlight++;
      const transfer = [rows.idEnds.buffer, rows.eventTimesMs.buffer, rows.values.buffer] as ArrayBuffer[];
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
  const encoder = createTableEncoder(options.format, options.path, options.columns);
  const counts: RowCounts = { train: 0, valid: 0, test: 0, positives: 0 };
  return {
    append(rows) {
      encoder.append(rows, options.labels, options.asOfMs, counts);
      return Promise.resolve();
    },
    close() {
      return Promise.resolve({ ...encoder.close(), counts });
    },
    abandon() {
      encoder.abandon();
      return Promise.resolve();
    },
  };
}
