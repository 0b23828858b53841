import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Logger } from '../adapters/observability/logger.js';
import type { PipelineMetrics } from '../adapters/observability/metrics.js';
import { readAbsorbed } from '../adapters/redis/absorbed-marker.js';
import { FeatureStateBehindError } from '../core/features/errors.js';
import type { FeatureEngine } from '../core/features/types.js';
import type { ScoreBatch } from './score-batch.js';

export interface StateCheckOptions {
  readonly kafka: Kafka;
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly groupId: string;
  readonly inputTopic: string;
  readonly engine: FeatureEngine;
  readonly log: Logger;
  readonly metrics: PipelineMetrics;
}

/**
 * At partition assignment: compares the feature state's absorbed-offset marker with the group's committed offsets
 * of the assigned input partitions. A marker missing or behind a committed offset means Redis lost what the
 * committed outputs were computed from: logged as an error and counted, and the engine is told what to expect, so
 * that the batch script refuses every batch of such a partition (nothing written, nothing scored) until
 * `fraudscore state rebuild` has restored the state; the worker then resumes by itself.
 */
export function createStateCheck(
  options: StateCheckOptions,
): (assignment: Readonly<Record<string, number[]>>) => Promise<void> {
  return async (assignment) => {
    const partitions = assignment[options.inputTopic] ?? [];
    if (partitions.length === 0) return;
    const admin = options.kafka.admin();
    await admin.connect();
    let committed: { partition: number; offset: string }[];
    try {
      const [fetched] = await admin.fetchOffsets({ groupId: options.groupId, topics: [options.inputTopic] });
      committed = fetched?.partitions ?? [];
    } finally {
      await admin.disconnect();
    }
    const absorbed = await readAbsorbed(options.redis, options.keyPrefix, partitions);
    for (const { partition, offset } of committed) {
      const expected = Number(offset);
      if (!partitions.includes(partition) || !(expected > 0)) continue;
      options.engine.expectAbsorbed(partition, expected);
      const marker = absorbed.get(partition);
      if (marker === undefined || marker < expected) {
        options.metrics.featureStateBehind.inc({ check: 'assignment' });
        const error = new FeatureStateBehindError(partition, marker ?? null, expected);
        options.log.error(
          { err: error.message, partition, absorbed: marker ?? null, committed: expected },
          error.message,
        );
      }
    }
  };
}

/** Counts the batches the state refused (FeatureStateBehindError) in the metric; the runner retries them. */
export function countingStateBehind(scoreBatch: ScoreBatch, metrics: PipelineMetrics): ScoreBatch {
  return async (records, batchId, replayableFromMs) => {
    try {
      return await scoreBatch(records, batchId, replayableFromMs);
    } catch (error) {
      if (error instanceof FeatureStateBehindError) metrics.featureStateBehind.inc({ check: 'batch' });
      throw error;
    }
  };
}
