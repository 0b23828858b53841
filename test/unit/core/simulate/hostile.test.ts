import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadLetterReason } from '../../../../src/core/contract/reasons.js';
import {
  FraudScenario,
  HOSTILE_ID_PREFIX,
  HOSTILE_KINDS,
  HostileKind,
  makeHostileRecord,
  simulate,
  type HostileRecord,
  type SimulatedTransaction,
} from '../../../../src/core/simulate/index.js';

const base: SimulatedTransaction = {
  number: 0,
  transactionId: 'tx-1-0000000000',
  eventTimeMs: Date.UTC(2026, 0, 5, 12),
  customerId: 'cust-0000001',
  terminalId: 'term-0000002',
  amount: 12.34,
  amountMinor: 1234,
  currency: 'EUR',
  scenario: FraudScenario.None,
};

describe('hostile records', () => {
  it('yields every kind when enabled, as extra records with bad- ids, right after the payment they imitate', () => {
    const records = [...simulate({ seed: 2, days: 3, customers: 300, invalidRate: 0.05 })];
    const hostile = records.flatMap((r) => (r.kind === 'hostile' ? [r.record] : []));
    assert.deepEqual(new Set(hostile.map((h) => h.kind)), new Set(HOSTILE_KINDS));
    for (const h of hostile) assert.ok(h.id.startsWith(HOSTILE_ID_PREFIX));
    assert.equal(new Set(hostile.map((h) => h.id)).size, hostile.length, 'bad- ids are unique');
    records.forEach((r, i) => {
      if (r.kind !== 'hostile') return;
      const previous = records[i - 1];
      assert.ok(previous?.kind === 'transaction');
      assert.equal(r.record.recordTimeMs, previous.event.eventTimeMs);
    });
    const share = hostile.length / records.filter((r) => r.kind === 'transaction').length;
    assert.ok(share > 0.035 && share < 0.065, `hostile share ${share}`);
  });

  it('yields none by default', () => {
    assert.ok(![...simulate({ days: 2, customers: 200 })].some((r) => r.kind === 'hostile'));
  });

  it('breaks exactly the documented field and names the dead-letter reason a pipeline must give', () => {
    const make = (kind: HostileKind): HostileRecord => makeHostileRecord(kind, 'bad-1-0000000000', base);
    const expect = (kind: HostileKind, reason: DeadLetterReason, check: (h: HostileRecord) => boolean): void => {
      const h = make(kind);
      assert.equal(h.expectedReason, reason, kind);
      assert.ok(check(h), kind);
      assert.equal(h.recordTimeMs, base.eventTimeMs);
    };
    expect(HostileKind.NotWireFormat, DeadLetterReason.NotWireFormat, (h) => h.encoding === 'plain-json');
    expect(
      HostileKind.UnknownSchemaId,
      DeadLetterReason.UnknownSchemaId,
      (h) => h.encoding === 'unregistered-schema-id',
    );
    expect(HostileKind.TruncatedBody, DeadLetterReason.UndecodableBody, (h) => h.encoding === 'truncated-avro');
    expect(HostileKind.NegativeAmount, DeadLetterReason.InvalidAmount, (h) => h.value.amount < 0);
    expect(HostileKind.NaNAmount, DeadLetterReason.InvalidAmount, (h) => Number.isNaN(h.value.amount));
    expect(
      HostileKind.HugeAmount,
      DeadLetterReason.InvalidAmount,
      (h) => h.value.amount * 100 > Number.MAX_SAFE_INTEGER,
    );
    expect(
      HostileKind.FarFutureTimestamp,
      DeadLetterReason.AbsurdTimestamp,
      (h) => h.value.event_time > Date.UTC(9000, 0),
    );
    expect(HostileKind.EpochZeroTimestamp, DeadLetterReason.AbsurdTimestamp, (h) => h.value.event_time === 0);
    expect(HostileKind.EmptyTransactionId, DeadLetterReason.InvalidField, (h) => h.value.transaction_id === '');
    expect(HostileKind.EmptyCustomerId, DeadLetterReason.InvalidField, (h) => h.value.customer_id === '');
    // Every kind but the empty-id one keeps the bad- id in the value, so the dead letter can be traced.
    for (const kind of HOSTILE_KINDS.filter((k) => k !== HostileKind.EmptyTransactionId)) {
      assert.equal(make(kind).value.transaction_id, 'bad-1-0000000000');
    }
  });
});
