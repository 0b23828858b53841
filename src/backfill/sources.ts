import { extname } from 'node:path';
import type { LabelEvent, PositionedTransaction } from '../core/contract/events.js';
import { BackfillOptionError } from './errors.js';
import type { Where } from './fields.js';
import { LineReader, type InputFingerprint } from './line-reader.js';
import { eventParser, labelParser, type InputFormat, type RecordParser } from './record-parsers.js';
import type { TopicFingerprint } from './topic-reader.js';

export type { InputFingerprint } from './line-reader.js';
export type { TopicFingerprint } from './topic-reader.js';

/** What the manifest records about an input: a file (name, size, SHA-256) or a topic (offsets, counts, SHA-256). */
export type SourceFingerprint = InputFingerprint | TopicFingerprint;

/**
 * Where the backfill reads from: a file (below) or a Kafka topic (kafka-source.ts), as batches of positioned
 * transactions in log order (batches rather than single records, so that a source can hand over what it decoded in
 * one go without a promise per record).
 */
export interface TransactionSource {
  /** For messages and the manifest. */
  readonly name: string;
  /** Log order: across partitions, the order in which the records are to be featurised. */
  batches(batchSize: number): AsyncIterable<readonly PositionedTransaction[]>;
  /** Work done and total (bytes for files, offsets for topics), for a progress bar; total 0 if unknown. */
  progress(): { readonly done: number; readonly total: number };
  /** What was read, for the manifest (see SourceFingerprint); valid after batches() completed. */
  fingerprint(): SourceFingerprint;
}

export interface LabelSource {
  readonly name: string;
  batches(batchSize: number): AsyncIterable<readonly LabelEvent[]>;
  fingerprint(): SourceFingerprint;
}

/** JSON Lines for .jsonl/.ndjson/.json, CSV for .csv; anything else must say which. */
export function formatOf(path: string, explicit?: InputFormat): InputFormat {
  if (explicit) return explicit;
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson' || extension === '.json') return 'jsonl';
  throw new BackfillOptionError(
    path,
    `cannot tell the format from "${extension || '(no extension)'}": use .jsonl or .csv`,
  );
}

/**
 * `nowMs`: the clock the contract's "event time at most 24 h ahead" rule is checked against; default the time the
 * read starts, as for a topic (KafkaSourceOptions.nowMs).
 */
export function fileTransactionSource(path: string, format?: InputFormat, nowMs?: number): TransactionSource {
  const reader = new LineReader(path);
  const resolved = formatOf(path, format);
  return {
    name: reader.name,
    batches: (batchSize) => readBatches(reader, eventParser(resolved, nowMs ?? Date.now()), batchSize),
    progress: () => reader.progress(),
    fingerprint: () => reader.fingerprint(),
  };
}

/** `nowMs`: as for fileTransactionSource, for the contract's "reported_at at most 24 h ahead" rule. */
export function fileLabelSource(path: string, format?: InputFormat, nowMs?: number): LabelSource {
  const reader = new LineReader(path);
  const resolved = formatOf(path, format);
  return {
    name: reader.name,
    batches: (batchSize) => readBatches(reader, labelParser(resolved, nowMs ?? Date.now()), batchSize),
    fingerprint: () => reader.fingerprint(),
  };
}

async function* readBatches<T>(reader: LineReader, parser: RecordParser<T>, batchSize: number): AsyncGenerator<T[]> {
  const where: Where = { file: reader.name, line: 0 };
  let batch: T[] = [];
  const full: T[][] = [];
  const sink = {
    line(text: string, lineNumber: number) {
      where.line = lineNumber;
      const record = parser.parse(text, where);
      if (record !== null) {
        batch.push(record);
        if (batch.length === batchSize) {
          full.push(batch);
          batch = [];
        }
      }
    },
  };
  for await (const _ of reader.chunks(sink)) {
    yield* full.splice(0);
  }
  parser.end(where);
  if (batch.length > 0) {
    yield batch;
  }
}
