import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import type { CommittedBatch } from '../../../src/runtime/runner-deps.js';
import { validEvents } from '../../support/events.js';
import { createTopics, deleteTopics, testProducer, testTopology, type TestProducer } from '../../support/stack.js';

describe('a 30 s batch window', () => {
  const { topology, topics } = testTopology({ maxRecords: 1000, maxWaitMs: 30_000 });
  let producer: TestProducer;
  let pipeline: PipelineContext;
  const batches: (CommittedBatch & { atMs: number })[] = [];
  let groupJoins = 0;
  let rebalances = 0;

  before(async () => {
    await createTopics(topics, topology.topics.partitions);
    producer = await testProducer(topology);
    pipeline = await createPipeline({
      topology,
      instanceId: 'w1',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'warn' }),
      onCommitted: (_summary, batch) => batches.push({ ...batch, atMs: Date.now() }),
    });
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
  });

  it('holds a small batch for the whole window without tripping the session or rebalancing', async () => {
    const { consumer } = pipeline;
    consumer.on(consumer.events.GROUP_JOIN, () => groupJoins++);
    consumer.on(consumer.events.REBALANCING, () => rebalances++);
    void pipeline.runner.start();
    // Wait until the group is joined, then send a handful: far fewer than maxRecords.
    while (groupJoins === 0) await new Promise((r) => setTimeout(r, 100));
    const sentAt = Date.now();
    const events = validEvents(10, 'window');
    await producer.send(
      topology.topics.input,
      events.map((e) => ({ key: e.customer_id, value: producer.serde.encode(producer.transactionSchemaId, e) })),
    );
    while (batches.length === 0 && Date.now() - sentAt < 45_000) await new Promise((r) => setTimeout(r, 200));

    assert.equal(batches.length, 1, 'one batch');
    const batch = batches[0]!;
    assert.equal(batch.closeReason, 'time');
    assert.equal(batch.size, 10);
    const heldMs = batch.atMs - sentAt;
    assert.ok(heldMs >= 29_000 && heldMs < 40_000, `held ${heldMs} ms`);
    assert.equal(groupJoins, 1, 'the group was joined once: no rebalance while the window was open');
    assert.equal(rebalances, 0);
  });
});
