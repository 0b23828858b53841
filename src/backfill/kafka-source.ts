import type { Kafka } from 'kafkajs';
import type { LabelEvent, PositionedTransaction } from '../core/contract/events.js';
import { DEFAULT_MAX_RECORD_BYTES as MAX_RECORD_BYTES } from '../core/contract/limits.js';
import { DeadLetterReason } from '../core/contract/reasons.js';
import { validateLabel } from '../core/contract/validate-label.js';
import { validateTransaction } from '../core/contract/validate-transaction.js';
import type { AvroSerde } from '../adapters/registry/serde.js';
import type { LabelSource, TransactionSource } from './sources.js';
import { TopicReader, type DecodeOutcome, type PartitionBuffer, type RecordDecoder } from './topic-reader.js';

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
}

/**
 * Transactions from a topic, read from its beginning to the high watermarks at the start (read_committed), decoded
 * and validated exactly as the pipeline does (score-batch.ts: size limit, registry serde, validateTransaction);
 * records the pipeline dead-letters are skipped and counted by reason in the fingerprint. Positions are the Kafka
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
 *    guarantees (DESIGN.md, "Event time across partitions");
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
export function kafkaLabelSource(options: KafkaSourceOptions): LabelSource {
  const reader = new TopicReader<LabelEvent>({
    kafka: options.kafka,
    topic: options.topic,
    decoder: labelDecoder(options.serde),
    ...readerLimits(options),
  });
  return {
    name: `topic:${options.topic}`,
    batches: (batchSize) => inArrivalOrder(reader, batchSize),
    fingerprint: () => reader.fingerprint(),
  };
}

function readerLimits(options: KafkaSourceOptions): {
  maxBufferedPerPartition?: number;
  untilOffsets?: ReadonlyMap<number, number>;
} {
  return {
    ...(options.maxBufferedPerPartition !== undefined
      ? { maxBufferedPerPartition: options.maxBufferedPerPartition }
      : {}),
    ...(options.untilOffsets !== undefined ? { untilOffsets: options.untilOffsets } : {}),
  };
}

function oversized(value: Buffer | null): DecodeOutcome<never> | null {
  return value !== null && value.length > MAX_RECORD_BYTES
    ? { ok: false, reason: DeadLetterReason.OversizedRecord }
    : null;
}

function transactionDecoder(serde: AvroSerde, nowMs: number | undefined): RecordDecoder<PositionedTransaction> {
  let now: number | undefined = nowMs;
  return {
    prepare: (values) => serde.prepare(values),
    decode(value, partition, offset) {
      const tooLarge = oversized(value);
      if (tooLarge) return tooLarge;
      const decoded = serde.decodeSync(value);
      if (!decoded.ok) return { ok: false, reason: decoded.reason };
      now ??= Date.now();
      const checked = validateTransaction(decoded.value, now);
      if (!checked.ok) return { ok: false, reason: checked.reason };
      return { ok: true, record: { ...checked.event, position: { partition, offset } } };
    },
  };
}

function labelDecoder(serde: AvroSerde): RecordDecoder<LabelEvent> {
  return {
    prepare: (values) => serde.prepare(values),
    decode(value) {
      const tooLarge = oversized(value);
      if (tooLarge) return tooLarge;
      const decoded = serde.decodeSync(value);
      if (!decoded.ok) return { ok: false, reason: decoded.reason };
      const checked = validateLabel(decoded.value);
      return checked.ok ? { ok: true, record: checked.label } : { ok: false, reason: checked.reason };
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
