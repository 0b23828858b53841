/**
 * The transactional sink against the real Kafka: batches with nothing to publish (labels only) commit back to back.
 * Their first request is AddOffsetsToTxn, which the coordinator answers with CONCURRENT_TRANSACTIONS while the
 * previous commit's markers are being written; kafkajs does not retry it, so the sink must (a failed batch costs a
 * producer renewal and the runner's back-off). Every commit must succeed at once and the group's offsets move with it.
 * And a batch whose outputs for one partition add up to more than the broker's record batch limit (1 MiB by
 * default: twenty dead letters carrying 60 KB values each) commits, every output once and in order.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createTransactionalSink } from '../../../../src/adapters/kafka/transactional-sink.js';
import { createTopics, deleteTopics, readCommitted, testKafka, uniqueName } from '../../../support/stack.js';

const BATCHES = 60;

describe('transactional sink', () => {
  const topic = uniqueName('sink-in');
  const output = uniqueName('sink-out');
  const large = uniqueName('sink-large');
  after(() => deleteTopics([topic, output, large]));

  it('commits offset-only and publishing batches back to back without failing a batch', async () => {
    await createTopics([topic, output], 2);
    const kafka = testKafka();
    const groupId = uniqueName('sink-group');
    const sink = await createTransactionalSink(kafka, {
      transactionalId: uniqueName('sink'),
      consumerGroupId: groupId,
    });
    try {
      for (let i = 1; i <= BATCHES; i++) {
        // Every third batch publishes something; the others carry offsets only.
        const messages = i % 3 === 0 ? [{ key: `k${i}`, value: `v${i}` }] : [];
        const committed = await sink.commitBatch({
          messagesByTopic: new Map([[output, messages]]),
          offsets: new Map([[topic, new Map([[i % 2, String(i)]])]]),
        });
        assert.equal(committed, true, `batch ${i}`);
      }
    } finally {
      await sink.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const byPartition = Object.fromEntries(offsets!.partitions.map((p) => [p.partition, p.offset]));
      assert.deepEqual(byPartition, { 0: String(BATCHES), 1: String(BATCHES - 1) });
    } finally {
      await admin.disconnect();
    }
  });

  it('commits a batch whose outputs for one partition exceed the broker record batch limit', async () => {
    await createTopics([large], 1);
    const kafka = testKafka();
    const sink = await createTransactionalSink(kafka, {
      transactionalId: uniqueName('sink'),
      consumerGroupId: uniqueName('sink-group'),
    });
    const messages = Array.from({ length: 20 }, (_, i) => ({
      key: 'one-key',
      value: Buffer.alloc(60_000, i),
    }));
    try {
      const committed = await sink.commitBatch({
        messagesByTopic: new Map([[large, messages]]),
        offsets: new Map([[topic, new Map([[0, '1']])]]),
      });
      assert.equal(committed, true);
    } finally {
      await sink.disconnect();
    }
    const read = await readCommitted([large], (records) => records.length >= messages.length, 30_000, {
      raw: true,
      settleMs: 500,
    });
    assert.deepEqual(
      read.map((record) => record.raw?.[0]),
      messages.map((_, i) => i),
      'every output once, in order',
    );
    assert.ok(read.every((record) => record.raw?.length === 60_000));
  });
});
