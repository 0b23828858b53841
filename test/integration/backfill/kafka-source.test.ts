/**
 * The backfill's Kafka sources against the real broker and registry: merge order across partitions, read_committed
 * (an aborted transaction is not read; a partition that ends in a commit marker still ends), contract skips counted
 * by reason, positions, fingerprint, and backpressure (one record buffered per partition, so every record pauses
 * and resumes its partition).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from 'kafkajs';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { createAvroSerde, type AvroSerde } from '../../../src/adapters/registry/serde.js';
import { kafkaLabelSource, kafkaTransactionSource, type TopicFingerprint } from '../../../src/backfill/index.js';
import type { PositionedTransaction } from '../../../src/core/contract/events.js';
import { STACK, createTopics, deleteTopics, testKafka, uniqueName } from '../../support/stack.js';

const T0 = Date.UTC(2026, 0, 5);

describe('backfill Kafka sources (real Kafka and registry)', () => {
  const events = uniqueName('src-events');
  const labels = uniqueName('src-labels');
  const kafka = testKafka();
  let serde: AvroSerde;
  let transactionSchema: number;
  let labelSchema: number;

  const tx = (id: string, minutesAfter: number, partition: number, amount = 1): Message & { partition: number } => ({
    partition,
    key: `c${partition}`,
    value: serde.encode(transactionSchema, {
      transaction_id: id,
      event_time: T0 + minutesAfter * 60_000,
      customer_id: `c${partition}`,
      terminal_id: 'term',
      amount,
      currency: 'EUR',
    }),
  });

  before(async () => {
    await createTopics([events, labels], 2);
    serde = createAvroSerde({ url: STACK.registryUrl });
    transactionSchema = await serde.register(`${events}-value`, readContractSchema('transaction'));
    labelSchema = await serde.register(`${labels}-value`, readContractSchema('label'));
    const producer = kafka.producer({
      transactionalId: uniqueName('src-producer'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const committed = await producer.transaction();
      await committed.send({
        topic: events,
        messages: [tx('p0-1', 1, 0), tx('p0-5', 5, 0), tx('p1-2', 2, 1), tx('p1-5', 5, 1)],
      });
      await committed.send({
        topic: labels,
        messages: [
          {
            partition: 0,
            value: serde.encode(labelSchema, { transaction_id: 'p0-1', is_fraud: true, reported_at: T0 }),
          },
          { partition: 1, value: Buffer.from('not avro') },
        ],
      });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic: events, messages: [tx('aborted-0', 3, 0), tx('aborted-1', 3, 1)] });
      await aborted.send({
        topic: labels,
        messages: [
          { partition: 1, value: serde.encode(labelSchema, { transaction_id: 'x', is_fraud: true, reported_at: T0 }) },
        ],
      });
      await aborted.abort();
      const last = await producer.transaction();
      await last.send({
        topic: events,
        // A negative amount is dead-lettered online, so skipped here; p1-7 and p0-9 come after the aborted records.
        messages: [tx('p1-7', 7, 1), tx('p0-9', 9, 0), tx('bad-amount', 8, 0, -1)],
      });
      await last.commit();
    } finally {
      await producer.disconnect();
    }
  });

  after(async () => {
    await deleteTopics([events, labels]);
  });

  it('merges partitions by event time (ties by partition), skips aborted and invalid records, and ends', async () => {
    const source = kafkaTransactionSource({ kafka, serde, topic: events, maxBufferedPerPartition: 1 });
    const read: PositionedTransaction[] = [];
    for await (const batch of source.batches(2)) read.push(...batch);
    assert.deepEqual(
      read.map((r) => `${r.transactionId}@${r.position.partition}:${r.position.offset}`),
      // Offsets: the commit marker after the first transaction and the aborted record (and its marker) take offsets.
      ['p0-1@0:0', 'p1-2@1:0', 'p0-5@0:1', 'p1-5@1:1', 'p1-7@1:5', 'p0-9@0:5'],
    );
    assert.equal(read[0]!.amountMinor, 100);
    const fingerprint = source.fingerprint() as TopicFingerprint;
    assert.equal(fingerprint.topic, events);
    assert.deepEqual(
      fingerprint.partitions.map(({ partition, lowOffset, highOffset, records, skipped }) => ({
        partition,
        lowOffset,
        highOffset,
        records,
        skipped,
      })),
      [
        // 2 committed + marker, 1 aborted + marker, 2 committed (one invalid) + marker: high watermark 8.
        { partition: 0, lowOffset: 0, highOffset: 8, records: 4, skipped: 1 },
        { partition: 1, lowOffset: 0, highOffset: 7, records: 3, skipped: 0 },
      ],
    );
    assert.equal(fingerprint.records, 7);
    assert.deepEqual(fingerprint.skipped, { INVALID_AMOUNT: 1 });
    assert.deepEqual(source.progress(), { done: 15, total: 15 });

    // The same topic, read again, gives the same fingerprint (the manifest is reproducible).
    const again = kafkaTransactionSource({ kafka, serde, topic: events });
    for await (const _ of again.batches(100)) void _;
    assert.deepEqual(again.fingerprint(), fingerprint);
  });

  it('reads committed labels, counting undecodable ones', async () => {
    const source = kafkaLabelSource({ kafka, serde, topic: labels });
    const read = [];
    for await (const batch of source.batches(10)) read.push(...batch);
    assert.deepEqual(read, [{ transactionId: 'p0-1', isFraud: true, reportedAtMs: T0 }]);
    const fingerprint = source.fingerprint() as TopicFingerprint;
    assert.equal(fingerprint.records, 2);
    assert.deepEqual(fingerprint.skipped, { NOT_WIRE_FORMAT: 1 });
  });

  it('refuses a topic that does not exist, naming it', async () => {
    const source = kafkaTransactionSource({ kafka, serde, topic: `${events}-missing` });
    await assert.rejects(async () => {
      for await (const _ of source.batches(10)) void _;
    }, /topic:.*-missing: no such topic/);
  });
});
