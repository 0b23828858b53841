import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createContractReader } from '../../../../src/adapters/registry/contract-records.js';
import type { AvroSerde, DecodeResult } from '../../../../src/adapters/registry/serde.js';
import { DeadLetterReason } from '../../../../src/core/contract/reasons.js';

const NOW = Date.UTC(2026, 0, 10);

/** Reading without a registry: each value's bytes are the JSON of the record the serde decodes from them. */
const serde: Pick<AvroSerde, 'prepare' | 'decodeSync'> = {
  prepare: () => Promise.resolve(),
  decodeSync: (bytes): DecodeResult => ({
    ok: true,
    schemaId: 1,
    value: JSON.parse(bytes!.toString('utf8')) as Record<string, unknown>,
  }),
};
const reader = createContractReader(serde);
const bytesOf = (value: Record<string, unknown>) => Buffer.from(JSON.stringify(value));

const payment = (transactionId: unknown) =>
  bytesOf({
    transaction_id: transactionId,
    event_time: NOW - 60_000,
    customer_id: 'c-1',
    terminal_id: 't-1',
    amount: 12.5,
    currency: 'EUR',
  });

describe('contract reader: the transaction id a dead letter carries', () => {
  it('carries an id too long for the contract as read, never cut to another valid id', () => {
    const valid = 'x'.repeat(128);
    const scored = reader.transaction(payment(valid), NOW);
    assert.equal(scored.ok && scored.record.transactionId, valid);

    const tooLong = reader.transaction(payment(`${valid}y`), NOW);
    assert.equal(tooLong.ok ? 'ok' : tooLong.reason, DeadLetterReason.InvalidField);
    assert.equal(!tooLong.ok && tooLong.transactionId, `${valid}y`);
  });

  it('carries ids with spaces or non-ASCII characters as read', () => {
    for (const id of ['tx 1', 'tx-é', ' ']) {
      const read = reader.transaction(payment(id), NOW);
      assert.equal(!read.ok && read.transactionId, id);
    }
  });

  it('carries null where the id read is not one the producer wrote, or none', () => {
    // U+FFFD: what the decoder makes of bytes that are not UTF-8.
    for (const id of ['tx-\uFFFD', '', 42, null]) {
      const read = reader.transaction(payment(id), NOW);
      assert.equal(read.ok ? 'ok' : read.reason, DeadLetterReason.InvalidField);
      assert.equal(!read.ok && read.transactionId, null, JSON.stringify(id));
    }
  });

  it('carries the valid id of a transaction dead-lettered for another field', () => {
    const read = reader.transaction(bytesOf({ ...JSON.parse(payment('tx-7').toString()), amount: -1 }), NOW);
    assert.equal(read.ok ? 'ok' : read.reason, DeadLetterReason.InvalidAmount);
    assert.equal(!read.ok && read.transactionId, 'tx-7');
  });
});

describe('contract reader: the transaction id a label dead letter carries', () => {
  const report = (fields: Record<string, unknown>) =>
    bytesOf({ transaction_id: 'tx-3', is_fraud: true, reported_at: NOW, ...fields });

  it('carries the id a label names when the label is dead-lettered for another field', () => {
    for (const [fields, reason] of [
      [{ reported_at: -5 }, DeadLetterReason.AbsurdTimestamp],
      [{ is_fraud: 'yes' }, DeadLetterReason.InvalidField],
      [{ reported_at: NOW + 24 * 3600 * 1000 + 1 }, DeadLetterReason.AbsurdTimestamp],
    ] as const) {
      const read = reader.label(report(fields), NOW);
      assert.equal(read.ok ? 'ok' : read.reason, reason);
      assert.equal(!read.ok && read.transactionId, 'tx-3', JSON.stringify(fields));
    }
  });

  it('carries an invalid label id as read, and null for none', () => {
    const tooLong = reader.label(report({ transaction_id: 'x'.repeat(129) }), NOW);
    assert.equal(!tooLong.ok && tooLong.transactionId, 'x'.repeat(129));
    const none = reader.label(report({ transaction_id: '' }), NOW);
    assert.equal(!none.ok && none.transactionId, null);
  });
});
