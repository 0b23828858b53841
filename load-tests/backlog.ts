/**
 * The backlog the throughput and scale-out benchmarks run on: a topology of the run's own (topics, group, key
 * prefix named after it), its topics created, then filled by a child process (produce-events.ts) before any worker
 * starts, so that a worker's CPU and memory are measured alone.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import type { IsolationOverrides, Topology } from '../src/config/index.js';
import { createIsolatedTopology } from '../test/support/isolated-topology.js';
import { deleteKeys } from '../test/support/redis.js';

export interface Backlog {
  readonly topology: Topology;
  /** The topology written to a file, for child processes (`fraudscore run`, the ceiling). */
  readonly file: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** Deletes every topic (named after the topology, the control topic too) and Redis key of the run. */
  cleanUp(): Promise<void>;
}

export async function prepareBacklog(
  prefix: string,
  events: number,
  overrides: IsolationOverrides,
  extraTopics: (topology: Topology) => readonly string[] = () => [],
): Promise<Backlog> {
  const { topology, file, kafka, admin } = await createIsolatedTopology({
    name: `${prefix}-${Date.now().toString(36)}`,
    overrides: { metricsPort: 0, ...overrides },
    clientId: 'fraudscore-load',
    extraTopics,
  });
  const { input, labels } = topology.topics;
  process.stdout.write(`filling ${input} and ${labels} with ${events} events each ...\n`);
  const fillStart = performance.now();
  execFileSync(process.execPath, ['dist/load-tests/produce-events.js', file, String(events)], { stdio: 'inherit' });
  process.stdout.write(`filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s\n`);
  return {
    topology,
    file,
    kafka,
    admin,
    async cleanUp() {
      const own = (await admin.listTopics()).filter((topic) => topic.startsWith(`${topology.name}.`));
      await admin.deleteTopics({ topics: own });
      await admin.disconnect();
      // The feature state and the alignment bounds of the run: the stack's Redis is shared.
      const redis = new Redis(topology.redis.url, { lazyConnect: true });
      await redis.connect();
      await deleteKeys(redis, topology.redis.keyPrefix);
      redis.disconnect();
    },
  };
}
