import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertAllScoresFinite, assertExactlyOneOutcome } from '../../support/invariants.js';
import { validEvents } from '../../support/events.js';
import {
  createTopics,
  deleteTopics,
  readCommitted,
  testProducer,
  testTopology,
  type TestProducer,
} from '../../support/stack.js';
import { startWorker, stopWorker } from '../../support/worker-process.js';

describe('a worker killed mid-run (SIGKILL) and restarted', () => {
  const { topology, topics, file } = testTopology({ maxRecords: 200, maxWaitMs: 100 });
  let producer: TestProducer;

  before(async () => {
    // The worker creates missing topics, but here the input is written before any worker runs.
    await createTopics(topics, topology.topics.partitions);
    producer = await testProducer(topology);
  });

  after(async () => {
    await producer?.close();
    await deleteTopics(topics);
  });

  it('loses nothing and duplicates nothing for read_committed readers', async () => {
    const events = validEvents(6000, 'crash');
    await producer.send(
      topology.topics.input,
      events.map((event) => ({
        key: event.customer_id,
        value: producer.serde.encode(producer.transactionSchemaId, event),
      })),
    );

    // First life: killed without warning once some, but not all, batches are committed.
    const first = startWorker(file, 'w1');
    const partial = await readCommitted([topology.topics.output], (r) => r.length >= 400, 60_000);
    assert.ok(
      partial.length >= 400,
      `the first worker scored ${partial.length} records before the kill; output: ${first.output()}`,
    );
    await stopWorker(first, 'SIGKILL');

    // Second life: same instance id, so its transactional id fences and aborts whatever the first left open.
    const second = startWorker(file, 'w1');
    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (r) => r.length >= events.length,
      90_000,
    );
    assert.equal(
      await stopWorker(second),
      0,
      `the restarted worker exits cleanly on SIGTERM; output: ${second.output()}`,
    );

    const inputs = await readCommitted([topology.topics.input], (r) => r.length >= events.length, 30_000, {
      raw: true,
    });
    const scores = outputs.filter((r) => r.topic === topology.topics.output);
    assert.ok(partial.length < events.length, 'the kill happened mid-run');
    assertExactlyOneOutcome(
      inputs.map((r) => ({ partition: r.partition, offset: r.offset })),
      scores,
      outputs.filter((r) => r.topic === topology.topics.deadLetter),
    );
    assertAllScoresFinite(scores);
  });
});
