import type { Admin, Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { labelDelayMsOf, type Topology } from '../config/index.js';
import type { AvroSerde } from '../adapters/registry/serde.js';
import { createContractReader } from '../adapters/registry/contract-records.js';
import { createRedisWatermarkStore } from '../adapters/redis/watermark-store.js';
import type { ConsumedRecord } from './consumed-record.js';
import type { RunnerDeps } from './runner-deps.js';

/**
 * Decodes arriving records once (the result stays on the record for scoring) and reads the time alignment needs:
 * event_time for transactions, reported_at for labels. A registry that does not answer makes it throw: the runner
 * retries, holding the partition, since a record without its time would skip alignment and leave its partition's
 * bound.
 */
export function createTimeReader(serde: AvroSerde, labelsTopic: string): RunnerDeps['timeOf'] {
  // Read as score-batch.ts reads (the same contract reader): the result is what scoring uses.
  const contract = createContractReader(serde);
  return async (records: ConsumedRecord[], topic: string) => {
    await contract.prepare(records.map((record) => record.value));
    const nowMs = Date.now();
    const isLabel = topic === labelsTopic;
    return records.map((record) => {
      const keyBytes = record.key?.length ?? 0;
      const decoded = contract.decode(isLabel ? 'label' : 'transaction', record.value, keyBytes);
      record.decoded = decoded;
      // Only records the contract accepts have a time: one that will be dead-lettered (an absurd timestamp, say)
      // must not hold anything back.
      if (isLabel) {
        const read = contract.label(record.value, nowMs, decoded, keyBytes);
        if (!read.ok) return undefined;
        record.accepted = read.record;
        return read.record.reportedAtMs;
      }
      const read = contract.transaction(record.value, nowMs, decoded, keyBytes);
      if (!read.ok) return undefined;
      record.accepted = read.record;
      return read.record.eventTimeMs;
    });
  };
}

/** Event-time alignment's wiring, and the admin connection it keeps for reading end offsets. */
export type Alignment = NonNullable<RunnerDeps['alignment']> & { close(): Promise<void> };

/** Wires event-time alignment for a topology: shared bounds in Redis, partition lists and the end-offset reads. */
export async function createAlignment(
  topology: Topology,
  kafka: Kafka,
  redis: Redis,
  latenessMs: number,
): Promise<Alignment> {
  const { input, labels } = topology.topics;
  const admin = kafka.admin();
  await admin.connect();
  let metadata: Awaited<ReturnType<Admin['fetchTopicMetadata']>>;
  try {
    metadata = await admin.fetchTopicMetadata({ topics: [input, labels] });
  } finally {
    await admin.disconnect();
  }
  const keysOf = (topic: string) =>
    (metadata.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => `${topic}:${p.partitionId}`).sort();
  const ends = endOffsetReader(kafka, [input, labels]);
  return {
    policy: { labelDelayMs: labelDelayMsOf(topology), latenessMs },
    store: createRedisWatermarkStore(redis, `${topology.redis.keyPrefix}watermarks:${topology.consumerGroup}`),
    inputKeys: keysOf(input),
    labelKeys: keysOf(labels),
    endOffsets: ends.read,
    close: ends.close,
    caughtUp: async (assignment) => {
      const checker = kafka.admin();
      await checker.connect();
      try {
        const done = new Map<string, number>();
        for (const [topic, partitions] of Object.entries(assignment)) {
          const topicEnds = await checker.fetchTopicOffsets(topic);
          const committed = await checker.fetchOffsets({ groupId: topology.consumerGroup, topics: [topic] });
          for (const partition of partitions) {
            const end = topicEnds.find((e) => e.partition === partition);
            const at = committed[0]?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
            const position = Number(at) >= 0 ? Number(at) : Number(end?.low ?? 0);
            // Only a position at the end: one below it by transaction markers alone (a transactional upstream's log
            // ends in one, and the group commits up to it) cannot be told from one below it by records not read yet,
            // and claiming those read would let every worker featurise past them. The fetch from the committed offset
            // reads the markers, and the runner counts the partition read to its end then (onReadWithoutRecords).
            if (end && position >= Number(end.high)) done.set(`${topic}:${partition}`, Number(end.high));
          }
        }
        return done;
      } finally {
        await checker.disconnect();
      }
    },
  };
}

/**
 * Reads the end offsets of the topics' partitions on one admin connection, opened on first use and again after a
 * failure (a broker restart drops it).
 */
function endOffsetReader(kafka: Kafka, topics: readonly string[]) {
  let connected: Promise<Admin> | undefined;
  const connect = (): Promise<Admin> => {
    const admin = kafka.admin();
    return admin.connect().then(() => admin);
  };
  return {
    async read(): Promise<Map<string, number>> {
      connected ??= connect();
      try {
        const admin = await connected;
        const offsets = await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
        const ends = new Map<string, number>();
        topics.forEach((topic, t) => {
          for (const { partition, high } of offsets[t]!) ends.set(`${topic}:${partition}`, Number(high));
        });
        return ends;
      } catch (error) {
        const failed = connected;
        connected = undefined;
        await failed?.then((admin) => admin.disconnect()).catch(() => undefined);
        throw error;
      }
    },
    async close(): Promise<void> {
      const open = connected;
      connected = undefined;
      await open?.then((admin) => admin.disconnect()).catch(() => undefined);
    },
  };
}
