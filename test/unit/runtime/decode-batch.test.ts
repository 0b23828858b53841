import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AvroSerde, DecodeResult } from '../../../src/adapters/registry/serde.js';
import { DeadLetterReason } from '../../../src/core/contract/reasons.js';
import type { ConsumedRecord } from '../../../src/runtime/consumed-record.js';
import { createBatchDecoder } from '../../../src/runtime/decode-batch.js';

const NOW = Date.UTC(2026, 0, 10);
const INPUT = 'payments';
const LABELS = 'labels';

/** Decoding without a registry: each value's bytes are the JSON of what the decoder answers for it. */
const serde = {
  prepare: () => Promise.resolve(),
  decodeSync: (bytes: Buffer | null): DecodeResult => JSON.parse(bytes!.toString('utf8')) as DecodeResult,
} as unknown as AvroSerde;

function record(topic: string, partition: number, offset: number, decoded: DecodeResult | Buffer): ConsumedRecord {
  const value = Buffer.isBuffer(decoded) ? decoded : Buffer.from(JSON.stringify(decoded));
  return { topic, partition, offset: String(offset), key: null, value };
}

const transaction = (id: string, amount: number): DecodeResult => ({
  ok: true,
  schemaId: 1,
  value: {
    transaction_id: id,
    event_time: NOW - 60_000,
    customer_id: 'c-1',
    terminal_id: 't-1',
    amount,
    currency: 'EUR',
  },
});
const label = (id: string): DecodeResult => ({
  ok: true,
  schemaId: 2,
  value: { transaction_id: id, is_fraud: true, reported_at: NOW - 1_000 },
});

describe('decodeBatch', () => {
  const decodeBatch = createBatchDecoder({ serde, labelsTopic: LABELS, maxRecordBytes: 1024 });

  it('sorts records into transactions and labels, and rejects each unreadable one with its reason', async () => {
    const rejected: { offset: string; reason: DeadLetterReason; transactionId: string | null }[] = [];
    const batch = await decodeBatch(
      [
        record(INPUT, 0, 10, transaction('tx-1', 12.5)),
        record(LABELS, 1, 3, label('tx-0')),
        record(INPUT, 0, 11, { ok: false, reason: DeadLetterReason.UndecodableBody, detail: 'truncated' }),
        record(INPUT, 2, 7, transaction('tx-2', -1)),
        record(INPUT, 2, 8, Buffer.alloc(1025)),
        record(LABELS, 1, 4, {
          ok: true,
          schemaId: 2,
          value: { transaction_id: 'tx-9', is_fraud: 'yes', reported_at: NOW },
        }),
      ],
      NOW,
      (rejectedRecord, reason, _detail, transactionId) =>
        rejected.push({ offset: `${rejectedRecord.topic}:${rejectedRecord.offset}`, reason, transactionId }),
    );
    assert.deepEqual(
      batch.transactions.map((tx) => [tx.transactionId, tx.amountMinor, tx.position]),
      [['tx-1', 1250, { partition: 0, offset: 10 }]],
    );
    assert.deepEqual(
      batch.transactionRecords.map((r) => r.offset),
      ['10'],
    );
    assert.deepEqual(
      batch.labels.map((l) => l.transactionId),
      ['tx-0'],
    );
    assert.equal(batch.labelRecords, 2, 'every label record counts, read or not');
    assert.deepEqual(rejected, [
      { offset: `${INPUT}:11`, reason: DeadLetterReason.UndecodableBody, transactionId: null },
      { offset: `${INPUT}:7`, reason: DeadLetterReason.InvalidAmount, transactionId: 'tx-2' },
      { offset: `${INPUT}:8`, reason: DeadLetterReason.OversizedRecord, transactionId: null },
      { offset: `${LABELS}:4`, reason: DeadLetterReason.InvalidField, transactionId: 'tx-9' },
    ]);
  });

  it('commits after the last record of each partition, and reports the input ranges consumed', async () => {
    const batch = await decodeBatch(
      [
        record(INPUT, 0, 10, transaction('tx-1', 1)),
        record(INPUT, 1, 4, Buffer.alloc(2048)),
        record(INPUT, 0, 12, transaction('tx-3', 1)),
        record(LABELS, 0, 99, label('tx-1')),
      ],
      NOW,
      () => undefined,
    );
    assert.deepEqual(
      [...batch.offsets].map(([topic, partitions]) => [topic, [...partitions]]),
      [
        [
          INPUT,
          [
            [0, '13'],
            [1, '5'],
          ],
        ],
        [LABELS, [[0, '100']]],
      ],
    );
    // Rejected records are consumed too (their dead letters are their outcomes); labels are not input.
    assert.deepEqual(
      [...batch.consumed],
      [
        [0, { from: 10, to: 13 }],
        [1, { from: 4, to: 5 }],
      ],
    );
  });

  it('uses what arrived decoded (for its event time) without decoding it again', async () => {
    const decodedOnArrival = { ...record(INPUT, 0, 1, Buffer.from('not json')), decoded: transaction('tx-7', 2) };
    const batch = await decodeBatch([decodedOnArrival], NOW, () => assert.fail('nothing to reject'));
    assert.deepEqual(
      batch.transactions.map((tx) => tx.transactionId),
      ['tx-7'],
    );
  });
});
