import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  DAY_MS,
  FRAUD_SCENARIOS,
  FraudScenario,
  HOUR_MS,
  MAX_LABEL_DELAY_MS,
  SimulationOptionError,
  SummaryAccumulator,
  simulate,
  type SimulatedRecord,
  type SimulatedTransaction,
  type SimulationOptions,
} from '../../../../src/core/simulate/index.js';

function take(options: Partial<SimulationOptions>, n = Number.POSITIVE_INFINITY): SimulatedRecord[] {
  const out: SimulatedRecord[] = [];
  for (const record of simulate(options)) {
    if (out.length >= n) break;
    out.push(record);
  }
  return out;
}

function timeOf(record: SimulatedRecord): number {
  switch (record.kind) {
    case 'transaction':
      return record.event.eventTimeMs;
    case 'label':
      return record.label.reportedAtMs;
    case 'hostile':
      return record.record.recordTimeMs;
  }
}

const transactions = (records: readonly SimulatedRecord[]): SimulatedTransaction[] =>
  records.flatMap((r) => (r.kind === 'transaction' ? [r.event] : []));

describe('simulate: determinism', () => {
  it('gives the same first 10,000 records for the same seed and different ones for another seed', () => {
    const a = take({ seed: 5 }, 10_000);
    const b = take({ seed: 5 }, 10_000);
    assert.equal(a.length, 10_000);
    assert.deepEqual(a, b);
    const c = take({ seed: 6 }, 10_000);
    assert.notDeepEqual(
      transactions(a).map((t) => [t.eventTimeMs, t.customerId, t.amount]),
      transactions(c).map((t) => [t.eventTimeMs, t.customerId, t.amount]),
    );
  });

  it('keeps the first days unchanged when more days are simulated', () => {
    const short = transactions(take({ seed: 3, days: 5, customers: 300 }));
    const long = transactions(take({ seed: 3, days: 9, customers: 300 })).slice(0, short.length);
    assert.deepEqual(short, long);
  });

  it('keeps the traffic unchanged when only the label sampling or hostile rate changes', () => {
    const base = transactions(take({ seed: 4, days: 10, customers: 300 }));
    assert.deepEqual(transactions(take({ seed: 4, days: 10, customers: 300, genuineLabelRate: 0.1 })), base);
    assert.deepEqual(transactions(take({ seed: 4, days: 10, customers: 300, invalidRate: 0.05 })), base);
  });

  it('is lazy: the first records of a ten-year run come without generating the years', () => {
    // Generating 3,650 days up front would take minutes and gigabytes; a streaming generator yields day 0 at once.
    const first = take({ seed: 1, days: 3_650, customers: 200 }, 100);
    assert.equal(first.length, 100);
    assert.ok(first.every((r) => timeOf(r) < Date.UTC(2026, 0, 5) + DAY_MS));
  });

  it('numbers transaction ids from the seed in event-time order', () => {
    const txs = transactions(take({ seed: 77, days: 2, customers: 100 }));
    assert.ok(txs.length > 100, `${txs.length} transactions`);
    txs.forEach((t, i) => assert.equal(t.transactionId, `tx-77-${String(i).padStart(10, '0')}`));
  });
});

describe('simulate: a default run (2,000 customers, 1,000 terminals, 60 days)', () => {
  let records: SimulatedRecord[] = [];
  let txs: SimulatedTransaction[] = [];
  before(() => {
    records = take({});
    txs = transactions(records);
    // Every test below looks at each record or transaction: none may pass for want of any.
    assert.ok(
      txs.length > 10_000 && records.length > txs.length,
      `${records.length} records, ${txs.length} transactions`,
    );
  });

  it('is in simulated-time order, labels included', () => {
    for (let i = 1; i < records.length; i++) {
      assert.ok(timeOf(records[i - 1]!) <= timeOf(records[i]!), `record ${i} goes back in time`);
    }
  });

  it('starts on 2026-01-05 (a Monday) and stays within the 60 days', () => {
    const start = Date.UTC(2026, 0, 5);
    assert.equal(new Date(start).getUTCDay(), 1);
    for (const t of txs) assert.ok(t.eventTimeMs >= start && t.eventTimeMs < start + 60 * DAY_MS);
  });

  it('labels every transaction once, after it and within 1 h .. 7 days, with the right ground truth', () => {
    const byId = new Map(txs.map((t) => [t.transactionId, t]));
    const seen = new Set<string>();
    const emittedBefore = new Set<string>();
    for (const record of records) {
      if (record.kind === 'transaction') emittedBefore.add(record.event.transactionId);
      if (record.kind !== 'label') continue;
      const { transactionId, reportedAtMs, isFraud } = record.label;
      const tx = byId.get(transactionId);
      assert.ok(tx, `label for unknown ${transactionId}`);
      assert.ok(emittedBefore.has(transactionId), `label of ${transactionId} precedes its transaction`);
      assert.ok(!seen.has(transactionId), `second label for ${transactionId}`);
      seen.add(transactionId);
      const delay = reportedAtMs - tx.eventTimeMs;
      assert.ok(delay >= HOUR_MS && delay <= MAX_LABEL_DELAY_MS, `delay ${delay} ms`);
      assert.equal(isFraud, tx.scenario !== FraudScenario.None);
    }
    assert.equal(seen.size, txs.length);
  });

  it('has 0.3-1.5 % fraud, every scenario present and each scenario consistent with its definition', () => {
    const summary = new SummaryAccumulator();
    for (const r of records) summary.add(r);
    const s = summary.result();
    const rate = s.frauds / s.transactions;
    assert.ok(rate > 0.003 && rate < 0.015, `fraud rate ${rate}`);
    for (const scenario of FRAUD_SCENARIOS) {
      assert.ok(s.fraudsByScenario[scenario as keyof typeof s.fraudsByScenario] > 0, `${scenario} missing`);
    }
    for (const t of txs) {
      assert.ok(Number.isInteger(t.amountMinor) && t.amountMinor >= 0);
      assert.equal(t.amount, t.amountMinor / 100);
      if (t.scenario === FraudScenario.None) assert.ok(t.amount <= 220, `genuine amount ${t.amount} above 220`);
      if (t.scenario === FraudScenario.AmountOutlier) assert.ok(t.amount > 220);
    }
  });

  it('makes a compromised terminal fraudulent for all its transactions for a while', () => {
    // Within a compromised terminal's window every transaction there is fraud: so a terminal with one terminal-fraud
    // has terminal-fraud (or card-fraud, which takes precedence) on all its transactions in the next few hours.
    const firstHit = new Map<string, number>();
    for (const t of txs) {
      if (t.scenario === FraudScenario.CompromisedTerminal && !firstHit.has(t.terminalId)) {
        firstHit.set(t.terminalId, t.eventTimeMs);
      }
    }
    assert.ok(firstHit.size > 0);
    for (const t of txs) {
      const hit = firstHit.get(t.terminalId);
      if (hit !== undefined && t.eventTimeMs >= hit && t.eventTimeMs < hit + DAY_MS) {
        assert.notEqual(t.scenario, FraudScenario.None, `${t.transactionId} at a compromised terminal is genuine`);
      }
    }
  });
});

describe('simulate: options', () => {
  it('has the steady fraud mix from the first day (compromises warmed up), so a short demo shows every scenario', () => {
    const summary = new SummaryAccumulator();
    for (const r of simulate({ seed: 10, days: 7 })) summary.add(r);
    const s = summary.result();
    assert.ok(s.frauds / s.transactions > 0.004, `fraud rate ${s.frauds / s.transactions}`);
    for (const scenario of FRAUD_SCENARIOS) {
      assert.ok(s.fraudsByScenario[scenario as keyof typeof s.fraudsByScenario] > 0, `${scenario} missing`);
    }
  });

  it('honours a shorter label delay and sampled genuine labels', () => {
    const records = take({ seed: 8, days: 20, customers: 500, labelDelayMaxMs: DAY_MS, genuineLabelRate: 0.2 });
    const txs = new Map(transactions(records).map((t) => [t.transactionId, t]));
    const labels = records.flatMap((r) => (r.kind === 'label' ? [r.label] : []));
    for (const l of labels) assert.ok(l.reportedAtMs - txs.get(l.transactionId)!.eventTimeMs <= DAY_MS);
    const frauds = [...txs.values()].filter((t) => t.scenario !== FraudScenario.None).length;
    assert.equal(labels.filter((l) => l.isFraud).length, frauds, 'every fraud is labelled');
    const genuineShare = labels.filter((l) => !l.isFraud).length / (txs.size - frauds);
    assert.ok(genuineShare > 0.17 && genuineShare < 0.23, `genuine label share ${genuineShare}`);
  });

  it('rejects a label delay longer than the 7 days the features assume, naming the field', () => {
    assert.throws(
      () => take({ labelDelayMaxMs: MAX_LABEL_DELAY_MS + 1 }, 1),
      (error: unknown) => error instanceof SimulationOptionError && error.field === 'labelDelayMaxMs',
    );
    assert.throws(() => take({ customers: 0 }, 1), SimulationOptionError);
    assert.throws(() => take({ labelDelayMinMs: 2 * DAY_MS, labelDelayMaxMs: DAY_MS }, 1), SimulationOptionError);
    assert.throws(() => take({ seed: -1 }, 1), SimulationOptionError);
  });

  it('states the bounds of a start out of range as dates as well as epoch milliseconds', () => {
    const bounds =
      'must be an instant from 2000-01-01T00:00:00.000Z to 2100-01-01T00:00:00.000Z (whole epoch ms 946684800000 to ' +
      '4102444800000)';
    assert.throws(() => take({ startMs: Date.UTC(1990, 0, 1) }, 1), {
      message: `simulation option startMs: ${bounds}, got 1990-01-01T00:00:00.000Z (631152000000)`,
    });
    // No date to show: the value as it is, once.
    assert.throws(() => take({ startMs: Number.NaN }, 1), { message: `simulation option startMs: ${bounds}, got NaN` });
    assert.equal(take({ startMs: Date.UTC(2100, 0, 1) }, 1).length, 1, 'the upper bound itself is taken');
  });
});
