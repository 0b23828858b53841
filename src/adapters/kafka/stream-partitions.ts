import type { Consumer, Kafka } from 'kafkajs';

/** How stream time (core/monitoring/stream-time.ts) names a partition. */
export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/** A partition of a followed topic as its end offsets show it before reading. */
export interface PartitionAtStart {
  readonly topic: string;
  /** partitionKey(topic, partition). */
  readonly key: string;
  /** It has records to read (its high offset is above its low one). */
  readonly hasRecords: boolean;
}

/** Every partition of `topics` now. A topic that does not exist yet has none: its partitions count once they deliver. */
export async function partitionsAtStart(kafka: Kafka, topics: readonly string[]): Promise<PartitionAtStart[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const partitions: PartitionAtStart[] = [];
    for (const topic of topics.filter((t) => existing.has(t))) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        partitions.push({ topic, key: partitionKey(topic, p.partition), hasRecords: p.high !== p.low });
      }
    }
    return partitions;
  } finally {
    await admin.disconnect();
  }
}

/** Where a fetched batch without records to hand on lay in its partition. */
export interface ReadWithoutRecords {
  /** The partition's end offset (high watermark) as the fetch saw it. */
  readonly endOffset: number;
  /** The batch's first offset (a marker or an aborted record), when kafkajs knows it. */
  readonly firstOffset: number | undefined;
  /** The batch's last offset, when kafkajs knows it: its reading of the partition goes on after it. */
  readonly lastOffset: number | undefined;
}

/**
 * Calls `onRead` for each fetched batch that reaches no eachBatch because nothing in it is a record to hand on: only
 * transaction markers, or the records of aborted transactions. kafkajs tells of such a batch only by an
 * instrumentation event. Without it, a partition whose log ends in one (an aborted transaction at its tail, or a
 * commit marker fetched apart from its records) would never count as read to its end and would hold stream time back.
 * Register before `run`.
 */
export function onBatchWithoutRecords(
  consumer: Consumer,
  onRead: (topic: string, partition: number, atEnd: boolean, read: ReadWithoutRecords) => void,
): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    // A batch with records went through eachBatch, which has seen its lag already.
    if (payload.batchSize !== 0) return;
    // kafkajs's firstOffset is null when nothing in the batch was at or past the fetched offset (its types say string).
    const first = payload.firstOffset as string | null;
    const last = payload.lastOffset as string | null | undefined;
    onRead(payload.topic, payload.partition, payload.offsetLag === '0', {
      endOffset: Number(payload.highWatermark),
      firstOffset: first === null ? undefined : Number(first),
      lastOffset: last === null || last === undefined ? undefined : Number(last),
    });
  });
}
