import type { ConsumerConfig } from 'kafkajs';
import type { Topology } from '../config/index.js';

/** The session must outlive a whole batch window plus its commit even if a heartbeat is late. */
export function sessionTimeoutMs(topology: Topology): number {
  return Math.max(30_000, topology.batch.maxWaitMs + 15_000);
}

/** The worker's group consumer settings (the throughput benchmark's no-work ceiling consumes with them too). */
export function workerConsumerConfig(topology: Topology): ConsumerConfig {
  return {
    groupId: topology.consumerGroup,
    readUncommitted: false,
    sessionTimeout: sessionTimeoutMs(topology),
    rebalanceTimeout: Math.max(60_000, topology.batch.maxWaitMs * 2 + 10_000),
    heartbeatInterval: 3_000,
    // A fetch lands in the intake at once (every partition's handler decodes before any holds the fetch loop), so
    // its size bounds memory: 128 KiB a partition is ~1,700 transactions, 1 MiB ~12 batches, several fetches a second
    // at full speed. 1 MiB / 8 MiB measured ~150 MiB more peak RSS (load-tests/throughput.ts).
    maxBytesPerPartition: 128 * 1024,
    maxBytes: 1024 * 1024,
    maxWaitTimeInMs: Math.min(500, topology.batch.maxWaitMs),
  };
}
