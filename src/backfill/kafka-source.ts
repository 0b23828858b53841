import type { Kafka } from 'kafkajs';
import type { Connecting } from '../config/index.js';
import type { LabelEvent, PositionedTransaction } from '../core/contract/events.js';
import { createContractReader } from '../adapters/registry/contract-records.js';
import type { AvroSerde } from '../adapters/registry/serde.js';
import type { LabelSource, TransactionSource } from './sources.js';
import { TopicReader, type PartitionBuffer, type RecordDecoder, type TopicReaderOptions } from './topic-reader.js';

export type { TopicFingerprint, TopicPartitionFingerprint } from './topic-reader.js';

export interface KafkaSourceOptions {
  /** A client for the topology's brokers (adapters/kafka/kafka-client.ts: createKafka). */
  readonly kafka: Kafka;
  /** The registry serde the pipeline decodes with (prepare + decodeSync). */
  readonly serde: AvroSerde;
  readonly topic: string;
  /**
   * The clock the contract's "event time at most 24 h ahead" rule is checked against. The worker checked each
   * record against its clock when it consumed it, which the backfill cannot know; the default is the time the read
   * starts, which is later, so only a record that was then more than 24 h ahead and no longer is could differ.
   */
  readonly nowMs?: number;
  /** Records held per partition before its fetches pause (see TopicReader). */
  readonly maxBufferedPerPartition?: number;
  /** Per partition, stop below this offset instead of the high watermark (see TopicReader). */
  readonly untilOffsets?: ReadonlyMap<number, number>;
  /** Wraps each step that reaches Kafka or the registry (see TopicReader). */
  readonly connecting?: Connecting;
  /** Warnings of a reader run again after a lost group coordinator (see TopicReader). */
  readonly log?: TopicReaderOptions<unknown>['log'];
}

/**
 * Transactions from a topic, read from its beginning to the high watermarks at the start (read_committed), decoded
 * and validated by the pipeline's own contract reader (adapters/registry/contract-records.ts: size limit, registry
 * serde reading the bytes as the contract schema, validateTransaction); records the pipeline dead-letters are skipped
 * and counted by reason in the fingerprint. Positions are the Kafka
 * (partition, offset), as online, so customer features resolve equal timestamps by the same log order.
 *
 * Order: each partition in offset order; partitions merged by event time (a k-way merge on the partitions' head
 * records, ties broken by partition, then offset). Why this order gives the online values:
 *  - customer features depend only on the order within the customer's partition (the input is keyed by customer),
 *    which the merge keeps;
 *  - terminal windows end at t − d (d = label delay > 0). When the merge takes a record at t, every other
 *    partition's head is at ≥ t, and a partition whose records are late by less than d (in event time, behind the
 *    latest record before them in the partition) has nothing at or before t − d after its head. So every event at
 *    or before t − d is in the state before t is featurised, as the online runtime's event-time alignment
 *    guarantees (src/core/batch/event-time-alignment.ts);
 *  - labels are all read before the first event (runBackfill) and filtered exactly by reported_at ≤ t.
 * A record late by d or more (in its partition) may miss or gain terminal events relative to online; the lateness
 * margin (one day) is far below d (seven days).
 */
export function kafkaTransactionSource(options: KafkaSourceOptions): TransactionSource {
  const reader = new TopicReader<PositionedTransaction>({
    kafka: options.kafka,
    topic: options.topic,
    decoder: transactionDecoder(options.serde, options.nowMs),
    ...readerLimits(options),
  });
  return {
    name: `topic:${options.topic}`,
    batches: (batchSize) => mergedByEventTime(reader, batchSize),
    progress: () => reader.progress(),
    fingerprint: () => reader.fingerprint(),
  };
}

/** Labels from a topic, read to the high watermarks at the start, in any order: the backfill reads them all first. */
export function kafkaLabelSource(options: KafkaSourceOptions): LabelSource & Pick<TransactionSource, 'progress'> {
  const reader = new TopicReader<LabelEvent>({
    kafka: options.kafka,
    topic: options.topic,
    decoder: labelDecoder(options.serde, options.nowMs),
    ...readerLimits(options),
  });
  return {
    name: `topic:${options.topic}`,
    batches: (batchSize) => inArrivalOrder(reader, batchSize),
    progress: () => reader.progress(),
    fingerprint: () => reader.fingerprint(),
  };
}

function readerLimits(
  options: KafkaSourceOptions,
): Pick<TopicReaderOptions<unknown>, 'maxBufferedPerPartition' | 'untilOffsets' | 'connecting' | 'log'> {
  return {
    ...(options.maxBufferedPerPartition !== undefined
      ? { maxBufferedPerPartition: options.maxBufferedPerPartition }
      : {}),
    ...(options.untilOffsets !== undefined ? { untilOffsets: options.untilOffsets } : {}),
    ...(options.connecting !== undefined ? { connecting: options.connecting } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  };
}

/**
 * The backfill's read of one transaction record: the online runner's (contract-records.ts), against the clock the
 * read started at (KafkaSourceOptions.nowMs), positioned at its Kafka (partition, offset).
 */
export function transactionDecoder(serde: AvroSerde, nowMs?: number): RecordDecoder<PositionedTransaction> {
  const contract = createContractReader(serde);
  let now = nowMs;
  return {
    prepare: (values) => contract.prepare(values),
    decode(value, partition, offset, keyBytes) {
      now ??= Date.now();
      const read = contract.transaction(value, now, undefined, keyBytes);
      return read.ok
        ? { ok: true, record: { ...read.record, position: { partition, offset } } }
        : { ok: false, reason: read.reason };
    },
  };
}

/**
 * The backfill's read of one label record: the online runner's (contract-records.ts), against the clock the read
 * started at (KafkaSourceOptions.nowMs), as transactionDecoder.
 */
export function labelDecoder(serde: AvroSerde, nowMs?: number): RecordDecoder<LabelEvent> {
  const contract = createContractReader(serde);
  let now = nowMs;
  return {
    prepare: (values) => contract.prepare(values),
    decode(value, _partition, _offset, keyBytes) {
      now ??= Date.now();
      const read = contract.label(value, now, undefined, keyBytes);
      return read.ok ? { ok: true, record: read.record } : { ok: false, reason: read.reason };
    },
  };
}

/**
 * The k-way merge. A record is taken only when every partition not yet read to its end has a head: the next record
 * of an empty partition could be earlier than every head. Partitions are few (tens), so a linear scan of the heads
 * beats a heap's bookkeeping. Whatever is merged is handed over before waiting for a fetch, so that featurising
 * overlaps fetching; the rows do not depend on where batches end.
 */
async function* mergedByEventTime(
  reader: TopicReader<PositionedTransaction>,
  batchSize: number,
): AsyncGenerator<PositionedTransaction[]> {
  await reader.open();
  try {
    const partitions = reader.partitions;
    let batch: PositionedTransaction[] = [];
    for (;;) {
      let best: PartitionBuffer<PositionedTransaction> | undefined;
      let bestTime = Infinity;
      let starved = false;
      for (const buffer of partitions) {
        if (buffer.size === 0) {
          if (!buffer.complete) {
            starved = true;
            break;
          }
          continue;
        }
        // Strictly less: of equal event times the lower partition wins (partitions are in ascending order).
        const time = buffer.peek().eventTimeMs;
        if (best === undefined || time < bestTime) {
          best = buffer;
          bestTime = time;
        }
      }
      if (starved) {
        if (batch.length > 0) {
          yield batch;
          batch = [];
          // Fetches may have completed while the consumer worked on the batch (their wake-up went to nobody): look
          // again before waiting for more.
          continue;
        }
        await reader.waitForProgress();
        continue;
      }
      if (best === undefined) break;
      batch.push(reader.take(best));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    await reader.close();
  }
}

async function* inArrivalOrder<T>(reader: TopicReader<T>, batchSize: number): AsyncGenerator<T[]> {
  await reader.open();
  try {
    let batch: T[] = [];
    for (;;) {
      let pending = false;
      for (const buffer of reader.partitions) {
        while (buffer.size > 0 && batch.length < batchSize) batch.push(reader.take(buffer));
        if (!buffer.exhausted) pending = true;
      }
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
        continue;
      }
      if (!pending) break;
      if (batch.length > 0) {
        yield batch;
        batch = [];
        // As in mergedByEventTime: what arrived while the consumer worked is looked at before waiting.
        continue;
      }
      await reader.waitForProgress();
    }
    if (batch.length > 0) yield batch;
  } finally {
    await reader.close();
  }
}
