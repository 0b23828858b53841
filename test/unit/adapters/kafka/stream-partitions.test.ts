import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Consumer, Kafka } from 'kafkajs';
import {
  onBatchWithoutRecords,
  partitionsAtStart,
  type ReadWithoutRecords,
} from '../../../../src/adapters/kafka/stream-partitions.js';

describe('stream partitions', () => {
  it('lists the partitions of the topics that exist, each with whether it has records to read', async () => {
    const offsets: Record<string, { partition: number; low: string; high: string }[]> = {
      'payments.scores': [
        { partition: 0, low: '0', high: '12' },
        { partition: 1, low: '7', high: '7' },
      ],
    };
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => Object.keys(offsets),
      fetchTopicOffsets: async (topic: string) => offsets[topic] ?? assert.fail(`${topic} does not exist`),
    };
    const kafka = { admin: () => admin } as unknown as Kafka;
    assert.deepEqual(await partitionsAtStart(kafka, ['payments.scores', 'payments.labels']), [
      { topic: 'payments.scores', key: 'payments.scores:0', hasRecords: true },
      { topic: 'payments.scores', key: 'payments.scores:1', hasRecords: false },
    ]);
  });

  it('tells of a fetched batch that held no record to hand on (transaction markers, aborted records) only', () => {
    let listener: ((event: { payload: Record<string, unknown> }) => void) | undefined;
    const consumer = {
      events: { END_BATCH_PROCESS: 'consumer.end_batch_process' },
      on: (event: string, fn: typeof listener) => {
        assert.equal(event, 'consumer.end_batch_process');
        listener = fn;
      },
    } as unknown as Consumer;
    const seen: [string, number, boolean, ReadWithoutRecords][] = [];
    onBatchWithoutRecords(consumer, (topic, partition, atEnd, read) => seen.push([topic, partition, atEnd, read]));
    const batch = (
      partition: number,
      batchSize: number,
      offsetLag: string,
      firstOffset: string | null,
      lastOffset: string | null,
    ) => ({
      payload: {
        topic: 'payments.scores',
        partition,
        batchSize,
        offsetLag,
        highWatermark: '11',
        firstOffset,
        lastOffset,
      },
    });
    listener?.(batch(2, 0, '0', '10', '10')); // a commit marker at offset 10, the partition's last
    listener?.(batch(3, 0, '4', '5', '6'));
    listener?.(batch(4, 0, '0', null, null));
    listener?.(batch(1, 10, '0', '0', '10'));
    assert.deepEqual(seen, [
      ['payments.scores', 2, true, { endOffset: 11, firstOffset: 10, lastOffset: 10 }],
      ['payments.scores', 3, false, { endOffset: 11, firstOffset: 5, lastOffset: 6 }],
      ['payments.scores', 4, true, { endOffset: 11, firstOffset: undefined, lastOffset: undefined }],
    ]);
  });
});
