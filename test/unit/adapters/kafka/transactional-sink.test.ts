/**
 * The transactional sink's answer to a commit that got no answer, against a stand-in for kafkajs that plays the
 * coordinator: whether the batch landed is read from the group's committed offsets once a new producer with the same
 * transactional id settled the transaction. The real broker's side is proven by the integration tests and the
 * fault drills (test/fault).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { createTransactionalSink, type OutgoingBatch } from '../../../../src/adapters/kafka/transactional-sink.js';

/** A coordinator whose commits land (or not) and whose answers can be lost; it counts what was asked of it. */
function fakeKafka() {
  const groupOffsets = new Map<number, string>();
  const asked = { producers: 0, initProducerIds: 0, commits: 0, offsetFetches: 0 };
  /** The next commit: lands and answers, lands without an answer, or never reaches the coordinator. */
  let nextCommit: 'answered' | 'lost answer' | 'lost request' = 'answered';
  const kafka = {
    producer: () => {
      asked.producers++;
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        transaction: async () => {
          asked.initProducerIds++;
          let offsets: { partition: number; offset: string }[] = [];
          return {
            sendBatch: async () => undefined,
            sendOffsets: async (request: { topics: { partitions: { partition: number; offset: string }[] }[] }) => {
              offsets = request.topics.flatMap((t) => t.partitions);
            },
            commit: async () => {
              asked.commits++;
              const how = nextCommit;
              nextCommit = 'answered';
              if (how !== 'lost request') for (const p of offsets) groupOffsets.set(p.partition, p.offset);
              if (how !== 'answered') throw new Error('Request EndTxn(key: 26, version: 1) timed out');
            },
            abort: async () => undefined,
          };
        },
      };
    },
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchOffsets: async () => {
        asked.offsetFetches++;
        return [
          {
            topic: 'input',
            partitions: [...groupOffsets].map(([partition, offset]) => ({ partition, offset })),
          },
        ];
      },
    }),
  } as unknown as Kafka;
  return { kafka, asked, groupOffsets, loseNext: (how: 'lost answer' | 'lost request') => (nextCommit = how) };
}

const batchUpTo = (offset: string): OutgoingBatch => ({
  messagesByTopic: new Map([['scores', [{ key: 'c1', value: 'v' }]]]),
  offsets: new Map([['input', new Map([[0, offset]])]]),
});

describe('transactional sink: a commit that got no answer', () => {
  it('that landed: landed() settles it with a new producer and finds it in the group offsets, sending nothing', async () => {
    const { kafka, asked, groupOffsets, loseNext } = fakeKafka();
    const sink = await createTransactionalSink(kafka, { transactionalId: 't', consumerGroupId: 'g' });
    try {
      const batch = batchUpTo('3');
      loseNext('lost answer');
      await assert.rejects(sink.commitBatch(batch), /timed out/);
      assert.equal(groupOffsets.get(0), '3', 'the coordinator committed it');
      const before = { ...asked };
      assert.equal(await sink.landed(batch), true);
      assert.equal(asked.producers, before.producers + 1, 'a new producer with the same transactional id');
      assert.equal(asked.initProducerIds, before.initProducerIds + 1, 'which settles the transaction first');
      assert.equal(asked.offsetFetches, before.offsetFetches + 1);
      assert.equal(asked.commits, before.commits, 'nothing sent again');
      assert.equal(await sink.landed(batch), false, 'settled once: asked again, it is not in doubt any more');
      assert.equal(await sink.commitBatch(batchUpTo('5')), true, 'the next batch commits on the new producer');
    } finally {
      await sink.disconnect();
    }
  });

  it('that never reached the coordinator: landed() says no, and a retry of the batch sends it again', async () => {
    const { kafka, asked, groupOffsets, loseNext } = fakeKafka();
    const sink = await createTransactionalSink(kafka, { transactionalId: 't', consumerGroupId: 'g' });
    try {
      const batch = batchUpTo('3');
      loseNext('lost request');
      await assert.rejects(sink.commitBatch(batch), /timed out/);
      assert.equal(await sink.landed(batch), false);
      assert.equal(groupOffsets.get(0), undefined);
      const commits = asked.commits;
      assert.equal(await sink.commitBatch(batch), true);
      assert.equal(asked.commits, commits + 1, 'sent again');
      assert.equal(groupOffsets.get(0), '3');
    } finally {
      await sink.disconnect();
    }
  });

  it('a batch whose commit was answered, or that failed before its commit, is not in doubt: no request is made', async () => {
    const { kafka, asked } = fakeKafka();
    const sink = await createTransactionalSink(kafka, { transactionalId: 't', consumerGroupId: 'g' });
    try {
      const batch = batchUpTo('3');
      assert.equal(await sink.commitBatch(batch), true);
      const before = { ...asked };
      assert.equal(await sink.landed(batch), false);
      assert.deepEqual(asked, before);
    } finally {
      await sink.disconnect();
    }
  });
});
