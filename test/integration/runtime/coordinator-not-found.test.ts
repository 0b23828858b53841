import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import type { Topology } from '../../../src/config/index.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { validEvents } from '../../support/events.js';
import { assertEveryInputScoredOnce, sendEvents } from '../../support/lifecycle.js';
import {
  createTopics,
  deleteTopics,
  readCommitted,
  testProducer,
  testTopology,
  type TestProducer,
} from '../../support/stack.js';
import { failingLookups } from '../../support/kafkajs-faults.js';
import { waitFor } from '../../support/wait-for.js';

async function startWorker(
  topology: Topology,
  instanceId: string,
): Promise<{ pipeline: PipelineContext; failure: () => unknown; crashes: { name: string; restart: boolean }[] }> {
  const pipeline = await createPipeline({
    topology,
    instanceId,
    metricsPort: 0,
    log: createLogger({ name: 'test', level: 'error' }),
  });
  let failure: unknown = null;
  const crashes: { name: string; restart: boolean }[] = [];
  pipeline.consumer.on(pipeline.consumer.events.CRASH, ({ payload }) =>
    crashes.push({ name: payload.error.name, restart: payload.restart }),
  );
  void pipeline.runner.failed.then((error) => (failure = error));
  void pipeline.runner.start();
  return { pipeline, failure: () => failure, crashes };
}

/** Waits until every input has an outcome (the reruns take a while), then checks each has exactly one. */
async function assertEveryInputOnce(topology: Topology, count: number): Promise<void> {
  await readCommitted([topology.topics.output, topology.topics.deadLetter], (r) => r.length >= count, 90_000);
  await assertEveryInputScoredOnce(topology, count);
}

/**
 * kafkajs stops a consumer for good when no broker told it its group's coordinator (a broker restarting). The worker
 * runs its consumers again, in the same process, whether the error comes at a first join (passed on as it is) or at a
 * rejoin of a running consumer (wrapped by kafkajs's fetch-loop retrier), and every record gets exactly one outcome.
 */
describe('a worker whose consumers kafkajs stops for want of their group coordinator', () => {
  const workers: PipelineContext[] = [];
  const topologies: ReturnType<typeof testTopology>[] = [];
  let producer: TestProducer | undefined;
  let patch: ReturnType<typeof failingLookups> | undefined;

  /** A topology of its own, its topics created and `count` events written to its input. */
  async function topologyWithInput(count: number, prefix: string): Promise<Topology> {
    const isolated = testTopology({ maxRecords: 200, maxWaitMs: 100 });
    topologies.push(isolated);
    const { topology, topics } = isolated;
    await createTopics(topics, topology.topics.partitions);
    producer = await testProducer(topology);
    await sendEvents(producer, topology, validEvents(count, prefix));
    return topology;
  }

  after(async () => {
    patch?.restore();
    for (const worker of workers) await worker.close().catch(() => undefined);
    await producer?.close();
    for (const { topics } of topologies) await deleteTopics(topics);
  });

  it(
    'at the first join, of both the input and the control consumer: run again, everything scored once',
    {
      timeout: 120_000,
    },
    async () => {
      const topology = await topologyWithInput(1500, 'first-join');
      const ours = (group: string) =>
        group === topology.consumerGroup || group.startsWith(`fraudscore.control-reader.${topology.name}.`);
      // Once per group: the first lookup of each is its consumer's first join (the worker's admin checks of the group
      // come after the assignment).
      patch = failingLookups((group) => ours(group) && !patch?.failed.includes(group));
      const worker = await startWorker(topology, 'w1');
      workers.push(worker.pipeline);
      await assertEveryInputOnce(topology, 1500);
      assert.equal(worker.failure(), null, `the worker failed: ${String(worker.failure())}`);
      assert.deepEqual(
        patch.failed.map((group) => (group === topology.consumerGroup ? 'input' : 'control')).sort(),
        ['control', 'input'],
        'both consumers met the error',
      );
      assert.ok(
        worker.crashes.some((crash) => !crash.restart && crash.name === 'KafkaJSGroupCoordinatorNotFound'),
        `the input consumer's first join met it: ${JSON.stringify(worker.crashes)}`,
      );
      patch.restore();
      patch = undefined;
      await producer?.close();
      producer = undefined;
    },
  );

  it(
    "at a running consumer's rejoin (a second worker joins): run again, everything scored once",
    {
      timeout: 180_000,
    },
    async () => {
      const topology = await topologyWithInput(1000, 'rejoin-a');
      let armed = false;
      patch = failingLookups((group, lookup) => {
        if (!armed || group !== topology.consumerGroup || lookup < 2) return false;
        armed = false;
        return true;
      });
      const first = await startWorker(topology, 'w1');
      workers.push(first.pipeline);
      await readCommitted([topology.topics.output, topology.topics.deadLetter], (r) => r.length >= 1000, 90_000);
      armed = true;
      const second = await startWorker(topology, 'w2');
      workers.push(second.pipeline);
      await waitFor('the rejoin lookup failed', async () => (patch?.failed.length ? true : undefined), 60_000);
      await sendEvents(producer as TestProducer, topology, validEvents(1000, 'rejoin-b', Date.UTC(2026, 0, 20)));
      await assertEveryInputOnce(topology, 2000);
      assert.equal(first.failure(), null, `w1 failed: ${String(first.failure())}`);
      assert.equal(second.failure(), null, `w2 failed: ${String(second.failure())}`);
      const wrapped = [...first.crashes, ...second.crashes].filter(
        (crash) => !crash.restart && crash.name === 'KafkaJSNonRetriableError',
      );
      assert.equal(wrapped.length, 1, `the rejoin's crash, as kafkajs wraps it: ${JSON.stringify(first.crashes)}`);
    },
  );
});
