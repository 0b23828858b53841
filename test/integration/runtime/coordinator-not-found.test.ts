import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { validEvents } from '../../support/events.js';
import { assertAllScoresFinite, assertExactlyOneOutcome } from '../../support/invariants.js';
import { sendEvents } from '../../support/lifecycle.js';
import {
  createTopics,
  deleteTopics,
  readCommitted,
  testProducer,
  testTopology,
  type TestProducer,
} from '../../support/stack.js';

/** kafkajs's own cluster class and errors: the lookup patched below is the one its consumers call. */
const kafkajsModule = createRequire(import.meta.url);
const Cluster = kafkajsModule('kafkajs/src/cluster/index.js') as {
  prototype: { findGroupCoordinator: (params: { groupId: string; coordinatorType?: number }) => Promise<unknown> };
};
const { KafkaJSGroupCoordinatorNotFound } = kafkajsModule('kafkajs/src/errors.js') as {
  KafkaJSGroupCoordinatorNotFound: new (message: string) => Error;
};

/**
 * kafkajs stops a consumer for good when no broker told it its group's coordinator (a broker restarting: its lookup
 * swallows every broker's error and reports this one, which it does not retry). The worker's two consumers, of the
 * input and of the control topic, each meet it at their first join here (the real lookup is made to fail once per
 * group, on the real broker, as it does during a restart); the worker runs them again and scores everything, exactly
 * once, in the same process.
 */
describe('a worker whose consumers kafkajs stops for want of their group coordinator', () => {
  const { topology, topics } = testTopology({ maxRecords: 200, maxWaitMs: 100 });
  const lookup = Cluster.prototype.findGroupCoordinator;
  const failedOnce = new Set<string>();
  let producer: TestProducer;
  let pipeline: PipelineContext | undefined;

  before(async () => {
    await createTopics(topics, topology.topics.partitions);
    producer = await testProducer(topology);
    Cluster.prototype.findGroupCoordinator = async function (this: unknown, params) {
      const ours =
        params.groupId === topology.consumerGroup ||
        params.groupId.startsWith(`fraudscore.control-reader.${topology.name}.`);
      if (ours && (params.coordinatorType ?? 0) === 0 && !failedOnce.has(params.groupId)) {
        failedOnce.add(params.groupId);
        throw new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator');
      }
      return lookup.call(this, params);
    };
  });

  after(async () => {
    Cluster.prototype.findGroupCoordinator = lookup;
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
  });

  it('runs them again and scores every record exactly once, without exiting', { timeout: 120_000 }, async () => {
    const events = validEvents(1500, 'coordinator');
    await sendEvents(producer, topology, events);
    const started = await createPipeline({
      topology,
      instanceId: 'w1',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'error' }),
    });
    pipeline = started;
    let failed: unknown = null;
    void started.runner.failed.then((error) => (failed = error));
    void started.runner.start();

    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (records) => records.length >= events.length,
      90_000,
    );
    assert.equal(failed, null, `the worker failed: ${String(failed)}`);
    assert.equal(started.runner.unhealthyReason(), null);
    assert.deepEqual(
      [...failedOnce].map((group) => (group === topology.consumerGroup ? 'input' : 'control')).sort(),
      ['control', 'input'],
      'both consumers met the error',
    );
    const inputs = await readCommitted([topology.topics.input], (r) => r.length >= events.length, 30_000, {
      raw: true,
    });
    const scores = outputs.filter((r) => r.topic === topology.topics.output);
    assertExactlyOneOutcome(
      inputs.map((r) => ({ partition: r.partition, offset: r.offset })),
      scores,
      outputs.filter((r) => r.topic === topology.topics.deadLetter),
    );
    assertAllScoresFinite(scores);
  });
});
