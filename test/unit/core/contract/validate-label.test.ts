import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateLabel } from '../../../../src/core/contract/validate-label.js';
import { validateTransaction } from '../../../../src/core/contract/validate-transaction.js';

const NOW = Date.UTC(2026, 0, 10);
const valid = { transaction_id: 'tx-1', is_fraud: true, reported_at: NOW };
const transaction = {
  transaction_id: 'tx-1',
  event_time: NOW,
  customer_id: 'c-1',
  terminal_id: 't-1',
  amount: 1,
  currency: 'EUR',
};

describe('validateLabel', () => {
  it('accepts a valid label', () => {
    assert.deepEqual(validateLabel(valid, NOW), {
      ok: true,
      label: { transactionId: 'tx-1', isFraud: true, reportedAtMs: NOW },
    });
  });

  for (const [name, patch, field, reason] of [
    ['a boolean given as text', { is_fraud: 'true' }, 'is_fraud', 'INVALID_FIELD'],
    ['a negative reported_at', { reported_at: -1 }, 'reported_at', 'ABSURD_TIMESTAMP'],
    ['a fractional reported_at', { reported_at: 1.5 }, 'reported_at', 'ABSURD_TIMESTAMP'],
    [
      'a reported_at more than 24 h ahead',
      { reported_at: NOW + 24 * 3600 * 1000 + 1 },
      'reported_at',
      'ABSURD_TIMESTAMP',
    ],
  ] as const) {
    it(`dead-letters ${name} as ${reason}, naming ${field}`, () => {
      const result = validateLabel({ ...valid, ...patch }, NOW);
      assert.ok(!result.ok);
      assert.equal(result.reason, reason);
      assert.equal(result.field, field);
    });
  }

  it('takes a reported_at up to 24 h ahead, as a transaction takes an event_time', () => {
    const skew = 24 * 3600 * 1000;
    for (const ahead of [skew, skew + 1]) {
      const label = validateLabel({ ...valid, reported_at: NOW + ahead }, NOW);
      const event = validateTransaction({ ...transaction, event_time: NOW + ahead }, NOW);
      assert.equal(label.ok, event.ok, `${ahead} ms ahead`);
    }
    const far = validateLabel({ ...valid, reported_at: 8_000_000_000_000 }, NOW);
    assert.ok(!far.ok);
    assert.match(far.detail, /more than 24 h ahead of now; fix the producer's clock/);
  });

  it("takes a transaction_id exactly when a transaction's would be taken, with the same reason and detail", () => {
    for (const id of [
      'tx-1',
      '!~',
      'x'.repeat(128),
      'x'.repeat(129),
      '',
      'a b',
      'nonascii-é',
      'tab\there',
      'nl\n',
      5,
      null,
    ]) {
      const label = validateLabel({ ...valid, transaction_id: id }, NOW);
      const event = validateTransaction({ ...transaction, transaction_id: id }, NOW);
      assert.equal(label.ok, event.ok, JSON.stringify(id));
      if (!label.ok && !event.ok) {
        assert.deepEqual(
          { reason: label.reason, field: label.field, detail: label.detail },
          { reason: event.reason, field: event.field, detail: event.detail },
        );
      }
    }
    const spaced = validateLabel({ ...valid, transaction_id: 'tx 1' }, NOW);
    assert.ok(!spaced.ok);
    assert.equal(spaced.reason, 'INVALID_FIELD');
    assert.equal(spaced.field, 'transaction_id');
    assert.match(spaced.detail, /printable ASCII characters without spaces/);
  });
});
