import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import type { BatchSummary } from '../../../src/runtime/score-batch.js';
import { validEvents } from '../../support/events.js';
import {
  createTopics,
  deleteTopics,
  testKafka,
  testProducer,
  testTopology,
  uniqueName,
  type TestProducer,
} from '../../support/stack.js';
import { waitFor } from '../../support/wait-for.js';

const T0 = Date.UTC(2026, 0, 5);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A labels feed written in Kafka transactions ends each partition it wrote to in a commit marker. The group commits
 * the offset after the last label (the marker's own), below the high watermark, and kafkajs hands nothing on when it
 * fetches the marker alone: a worker restarted over it must still count the partition read to its end, or every
 * transaction waits for a label that never comes (until the next day's feed lands).
 */
describe('a labels partition that ends in a transaction marker', () => {
  const { topology, topics } = testTopology({ maxRecords: 100, maxWaitMs: 200 });
  let producer: TestProducer;
  let upstream: Producer;
  const workers: PipelineContext[] = [];
  const committed: { atMs: number; summary: BatchSummary }[] = [];

  async function startWorker(instanceId: string): Promise<PipelineContext> {
    const pipeline = await createPipeline({
      topology,
      instanceId,
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'warn' }),
      onCommitted: (summary) => committed.push({ atMs: Date.now(), summary }),
    });
    workers.push(pipeline);
    let joined = false;
    pipeline.consumer.on(pipeline.consumer.events.GROUP_JOIN, () => (joined = true));
    void pipeline.runner.start();
    await waitFor('the group joined', async () => (joined ? true : undefined), 60_000);
    return pipeline;
  }

  const total = (what: 'labels' | 'transactions') => committed.reduce((sum, c) => sum + c.summary[what], 0);

  before(async () => {
    await createTopics(topics, topology.topics.partitions);
    producer = await testProducer(topology);
    upstream = testKafka().producer({
      transactionalId: uniqueName('labels-feed'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await upstream.connect();
  });

  after(async () => {
    for (const worker of workers) await worker.close().catch(() => undefined);
    await upstream?.disconnect();
    await producer?.close();
    await deleteTopics(topics);
  });

  it('does not hold a restarted worker back: its next batch commits within seconds', { timeout: 180_000 }, async () => {
    const { labels, input } = topology.topics;
    // The day's labels, in one transaction, on labels partition 0: offsets 0..9, the commit marker at 10.
    const transaction = await upstream.transaction();
    await transaction.send({
      topic: labels,
      messages: Array.from({ length: 10 }, (_, i) => ({
        partition: 0,
        key: `feed-${i}`,
        value: producer.serde.encode(producer.labelSchemaId, {
          transaction_id: `feed-${i}`,
          is_fraud: i % 3 === 0,
          reported_at: T0 - 86_400_000 + i * 1_000,
        }),
      })),
    });
    await transaction.commit();

    const first = await startWorker('w1');
    await waitFor('the labels committed', async () => (total('labels') >= 10 ? true : undefined), 60_000);
    await first.close();
    workers.splice(workers.indexOf(first), 1);

    // The precondition: the group's committed offset is the marker's, one below the partition's end.
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const [ends, groupOffsets] = await Promise.all([
        admin.fetchTopicOffsets(labels),
        admin.fetchOffsets({ groupId: topology.consumerGroup, topics: [labels] }),
      ]);
      const high = Number(ends.find((e) => e.partition === 0)?.high);
      const at = Number(groupOffsets[0]?.partitions.find((p) => p.partition === 0)?.offset);
      assert.equal(high, 11, 'ten labels and the commit marker');
      assert.equal(at, 10, 'committed up to the marker, not past it');
    } finally {
      await admin.disconnect();
    }

    await startWorker('w2');
    await sleep(1_000); // the caught-up check and the first fetches of the new assignment
    const sentAtMs = Date.now();
    const events = validEvents(20, uniqueName('after-restart'));
    await producer.send(
      input,
      events.map((e) => ({ key: e.customer_id, value: producer.serde.encode(producer.transactionSchemaId, e) })),
    );
    const scored = await waitFor(
      'the transactions committed',
      async () => committed.find((c) => c.atMs >= sentAtMs && c.summary.transactions > 0),
      30_000,
    );
    const tookMs = scored.atMs - sentAtMs;
    assert.ok(tookMs < 5_000, `the first batch after the restart committed ${tookMs} ms after its records were sent`);
    await waitFor('every transaction committed', async () => (total('transactions') >= 20 ? true : undefined), 30_000);
    assert.equal(total('transactions'), 20, 'each transaction committed once');
  });
});
