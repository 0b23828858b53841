import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateTransaction } from '../../../../src/core/contract/validate-transaction.js';

const NOW = Date.UTC(2026, 0, 10);
const valid = {
  transaction_id: 'tx-1',
  event_time: Date.UTC(2026, 0, 9, 12),
  customer_id: 'c-1',
  terminal_id: 't-1',
  amount: 12.34,
  currency: 'EUR',
};

function reasonOf(patch: Record<string, unknown>): string | undefined {
  const result = validateTransaction({ ...valid, ...patch }, NOW);
  return result.ok ? undefined : result.reason;
}

describe('validateTransaction', () => {
  it('accepts a valid record and converts the amount to exact minor units', () => {
    const result = validateTransaction(valid, NOW);
    assert.ok(result.ok);
    assert.equal(result.event.amountMinor, 1234);
    assert.equal(result.event.eventTimeMs, valid.event_time);
  });

  it('rounds binary floating point to the nearest cent', () => {
    const result = validateTransaction({ ...valid, amount: 0.1 + 0.2 }, NOW);
    assert.ok(result.ok);
    assert.equal(result.event.amountMinor, 30);
  });

  for (const [name, patch, reason] of [
    ['NaN amount', { amount: Number.NaN }, 'INVALID_AMOUNT'],
    ['+Infinity amount', { amount: Number.POSITIVE_INFINITY }, 'INVALID_AMOUNT'],
    ['-Infinity amount', { amount: Number.NEGATIVE_INFINITY }, 'INVALID_AMOUNT'],
    ['negative amount', { amount: -0.01 }, 'INVALID_AMOUNT'],
    ['huge amount', { amount: 1e12 }, 'INVALID_AMOUNT'],
    ['string amount', { amount: '12' }, 'INVALID_AMOUNT'],
    ['empty id', { transaction_id: '' }, 'INVALID_FIELD'],
    ['oversized id', { transaction_id: 'x'.repeat(129) }, 'INVALID_FIELD'],
    ['id with a space', { customer_id: 'a b' }, 'INVALID_FIELD'],
    ['missing terminal', { terminal_id: undefined }, 'INVALID_FIELD'],
    ['lower-case currency', { currency: 'eur' }, 'INVALID_FIELD'],
    ['timestamp before 2000', { event_time: Date.UTC(1999, 11, 31) }, 'ABSURD_TIMESTAMP'],
    ['timestamp two days ahead', { event_time: NOW + 2 * 86_400_000 }, 'ABSURD_TIMESTAMP'],
    ['fractional timestamp', { event_time: 1.5 }, 'ABSURD_TIMESTAMP'],
  ] as const) {
    it(`dead-letters ${name} as ${reason}`, () => assert.equal(reasonOf(patch), reason));
  }

  it('accepts an amount of zero and the 24 h clock-skew edge', () => {
    assert.equal(reasonOf({ amount: 0 }), undefined);
    assert.equal(reasonOf({ event_time: NOW + 86_400_000 }), undefined);
  });
});
