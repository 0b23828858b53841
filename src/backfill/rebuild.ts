import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { connectDirectly, labelDelayMsOf, type Connecting, type Topology } from '../config/index.js';
import { deleteFeatureState, writeAbsorbed } from '../adapters/redis/absorbed-marker.js';
import { createRedisFeatureState, topologyFeatureStateOptions } from '../adapters/redis/feature-state.js';
import type { AvroSerde } from '../adapters/registry/serde.js';
import { createFeatureEngine } from '../core/features/engine.js';
import { kafkaLabelSource, kafkaTransactionSource, type KafkaSourceOptions } from './kafka-source.js';
import { DEFAULT_BATCH_SIZE } from './options.js';

export interface RebuildOptions {
  readonly topology: Topology;
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  /** A connected client of the topology's Redis. */
  readonly redis: Redis;
  readonly batchSize?: number;
  /**
   * Wraps each step that reaches Kafka, the registry or Redis: with the topology's (runtime/startup-errors.ts:
   * connectingFor), a failure is explained naming its field and the fix.
   */
  readonly connecting?: Connecting;
  /**
   * Stops the rebuild before the state is deleted, or between two batches (throwing the signal's reason): the state
   * is then untouched, or incomplete with no absorbed-offset marker written, so paused workers stay paused until a
   * rebuild completes.
   */
  readonly signal?: AbortSignal;
  /** Told after each batch replayed: which topic, its offsets read so far and in all, and its records replayed. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Warnings of a topic reader run again after a lost group coordinator (a broker restarting). */
  readonly log?: KafkaSourceOptions['log'];
}

export interface RebuildProgress {
  readonly topic: 'labels' | 'transactions';
  readonly done: number;
  readonly total: number;
  readonly records: number;
}

export interface RebuildResult {
  /** Per input partition, the offset the state now vouches for (the group's committed offset, else the log start). */
  readonly absorbed: ReadonlyMap<number, number>;
  readonly keysDeleted: number;
  readonly transactions: number;
  readonly duplicates: number;
  readonly labels: number;
}

/**
 * Rebuilds a topology's Redis feature state, which holds nothing but what its input and labels topics imply
 * (docs/features.md, "State loss and rebuild"), from those topics: deletes the state under the topology's key
 * prefix, then replays both topics exactly as the backfill reads them (labels first, transactions merged by event
 * time, the same decoding and validation, through the same feature engine), into the Redis backend instead of memory,
 * up to the consumer group's committed offsets: what the workers have absorbed.
 * Finally it writes the absorbed-offset markers, which lets paused workers resume (they score from those offsets).
 * The features they then compute are the ones the backfill computes over the same topics.
 */
export async function rebuildState(options: RebuildOptions): Promise<RebuildResult> {
  const { topology, kafka, serde, redis } = options;
  const connecting = options.connecting ?? connectDirectly;
  const { input, labels } = topology.topics;
  const committed = await connecting('kafka', () => committedOffsets(kafka, topology.consumerGroup, [input, labels]));
  // A stop before the deletion leaves the state as it was: intact, the workers go on; lost, they stay paused.
  options.signal?.throwIfAborted();
  const keysDeleted = await connecting('redis', () => deleteFeatureState(redis, topology.redis.keyPrefix));
  const engine = createFeatureEngine({
    state: createRedisFeatureState(redis, topologyFeatureStateOptions(topology)),
    labelDelayMs: labelDelayMsOf(topology),
  });
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;

  let labelCount = 0;
  const read = { kafka, serde, connecting, ...(options.log !== undefined ? { log: options.log } : {}) };
  const labelSource = kafkaLabelSource({ ...read, topic: labels, untilOffsets: committed.get(labels)! });
  const { signal, onProgress } = options;
  for await (const batch of labelSource.batches(batchSize)) {
    signal?.throwIfAborted();
    await engine.ingestLabels(batch);
    labelCount += batch.length;
    onProgress?.({ topic: 'labels', ...labelSource.progress(), records: labelCount });
  }
  let transactions = 0;
  let duplicates = 0;
  const events = kafkaTransactionSource({ ...read, topic: input, untilOffsets: committed.get(input)! });
  for await (const batch of events.batches(batchSize)) {
    signal?.throwIfAborted();
    const rows = await engine.featurize(batch);
    transactions += batch.length;
    for (const row of rows) if (row.duplicateOf !== undefined) duplicates++;
    onProgress?.({ topic: 'transactions', ...events.progress(), records: transactions });
  }
  signal?.throwIfAborted();
  // Partitions the group never committed are read from their start by a worker: the state vouches for that.
  const absorbed = new Map<number, number>();
  const fingerprint = events.fingerprint();
  for (const partition of 'partitions' in fingerprint ? fingerprint.partitions : []) {
    absorbed.set(partition.partition, partition.highOffset);
  }
  await connecting('redis', () => writeAbsorbed(redis, topology.redis.keyPrefix, absorbed));
  return { absorbed, keysDeleted, transactions, duplicates, labels: labelCount };
}

/** The group's committed offset per topic and partition; a partition without a commit reads from its start (0). */
async function committedOffsets(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
): Promise<Map<string, Map<number, number>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const fetched = await admin.fetchOffsets({ groupId, topics: [...topics] });
    const result = new Map<string, Map<number, number>>();
    for (const { topic, partitions } of fetched) {
      const offsets = new Map<number, number>();
      for (const { partition, offset } of partitions) offsets.set(partition, Math.max(0, Number(offset)));
      result.set(topic, offsets);
    }
    for (const topic of topics) if (!result.has(topic)) result.set(topic, new Map());
    return result;
  } finally {
    await admin.disconnect();
  }
}
