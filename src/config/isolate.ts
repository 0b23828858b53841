import type { Topology } from './topology-schema.js';

export interface IsolationOverrides {
  readonly maxRecords?: number;
  readonly maxWaitMs?: number;
  readonly minRecords?: number;
  readonly partitions?: number;
  readonly metricsPort?: number;
}

/**
 * A copy of a topology whose name (hence its control topic and transactional ids), topics, consumer group and Redis key
 * prefix carry `runId`, so that a demo, a test or a benchmark run never reads or writes another run's data, control
 * state included. Pure: returns a new frozen object. `runId` must be a valid topology name.
 */
export function isolateTopology(topology: Topology, runId: string, overrides: IsolationOverrides = {}): Topology {
  const copy: Topology = {
    ...topology,
    name: runId,
    topics: {
      ...topology.topics,
      input: `${runId}.transactions`,
      output: `${runId}.scores`,
      labels: `${runId}.labels`,
      deadLetter: `${runId}.dead-letters`,
      partitions: overrides.partitions ?? topology.topics.partitions,
    },
    consumerGroup: `fraudscore.${runId}`,
    redis: { ...topology.redis, keyPrefix: `fs:${runId}:` },
    batch: {
      maxRecords: overrides.maxRecords ?? topology.batch.maxRecords,
      maxWaitMs: overrides.maxWaitMs ?? topology.batch.maxWaitMs,
      // A smaller maxRecords override keeps the topology valid: the live close never needs more than a full batch.
      minRecords: Math.min(
        overrides.minRecords ?? topology.batch.minRecords,
        overrides.maxRecords ?? topology.batch.maxRecords,
      ),
    },
    metrics: { ...topology.metrics, port: overrides.metricsPort ?? topology.metrics.port },
  };
  return Object.freeze(copy);
}
