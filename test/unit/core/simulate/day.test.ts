import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DAY_MS,
  DriftScenario,
  SimulationOptionError,
  simulate,
  type SimulatedTransaction,
  type SimulationOptions,
} from '../../../../src/core/simulate/index.js';

const BASE: Partial<SimulationOptions> = { seed: 11, customers: 300, terminals: 200, days: 6 };

function transactions(options: Partial<SimulationOptions>): SimulatedTransaction[] {
  const out: SimulatedTransaction[] = [];
  for (const record of simulate(options)) if (record.kind === 'transaction') out.push(record.event);
  return out;
}

const dayOf = (tx: SimulatedTransaction): number => Math.floor((tx.eventTimeMs - Date.UTC(2026, 0, 5)) / DAY_MS);
const terminalNumber = (tx: SimulatedTransaction): number => Number(tx.terminalId.slice('term-'.length));

/** The declared drift scenarios: what changes from the drift day on, and that nothing else does. */
describe('simulate: declared drift scenarios', () => {
  const baseline = transactions(BASE);

  it('leaves the traffic identical with drift scenario none, whatever the other drift options', () => {
    assert.deepEqual(transactions({ ...BASE, driftScenario: DriftScenario.None, driftAmountFactor: 9 }), baseline);
  });

  it('amount-shift multiplies every amount from the drift day on; times, ids, terminals and ground truth stay', () => {
    const shifted = transactions({ ...BASE, driftScenario: DriftScenario.AmountShift, driftFromDay: 3 });
    assert.equal(shifted.length, baseline.length);
    let before = 0;
    let after = 0;
    shifted.forEach((tx, i) => {
      const base = baseline[i]!;
      assert.deepEqual({ ...tx, amount: 0, amountMinor: 0 }, { ...base, amount: 0, amountMinor: 0 });
      if (dayOf(tx) < 3) {
        before += 1;
        assert.equal(tx.amountMinor, base.amountMinor);
      } else {
        after += 1;
        assert.equal(tx.amountMinor, Math.round(base.amountMinor * 3), `default factor 3 at ${tx.transactionId}`);
        assert.equal(tx.amount, tx.amountMinor / 100);
      }
    });
    assert.ok(before > 100 && after > 100, `both sides of the drift day populated (${before} / ${after})`);
  });

  it('honours driftAmountFactor, also below 1', () => {
    const halved = transactions({ ...BASE, driftScenario: DriftScenario.AmountShift, driftAmountFactor: 0.5 });
    assert.ok(halved.length > 0);
    assert.equal(halved.length, baseline.length);
    halved.forEach((tx, i) => assert.equal(tx.amountMinor, Math.round(baseline[i]!.amountMinor * 0.5)));
  });

  it('new-terminals moves every payment from the drift day on to a terminal never seen before', () => {
    const moved = transactions({ ...BASE, driftScenario: DriftScenario.NewTerminals, driftFromDay: 2 });
    const seenBefore = new Set(moved.filter((tx) => dayOf(tx) < 2).map((tx) => tx.terminalId));
    const after = moved.filter((tx) => dayOf(tx) >= 2);
    assert.ok(after.length > 100);
    moved.forEach((tx, i) => {
      const base = baseline[i]!;
      if (dayOf(tx) < 2) assert.deepEqual(tx, base);
      else {
        assert.equal(terminalNumber(tx), terminalNumber(base) + 200);
        assert.equal(seenBefore.has(tx.terminalId), false, `${tx.terminalId} is new`);
        assert.deepEqual({ ...tx, terminalId: '' }, { ...base, terminalId: '' });
      }
    });
  });

  it('rejects an unknown scenario and out-of-range drift options, naming the field', () => {
    const bad: [Partial<SimulationOptions>, keyof SimulationOptions][] = [
      [{ driftScenario: 'inflation' as DriftScenario }, 'driftScenario'],
      [{ driftFromDay: -1 }, 'driftFromDay'],
      [{ driftAmountFactor: 0 }, 'driftAmountFactor'],
      [{ driftScenario: DriftScenario.NewTerminals, terminals: 6_000_000 }, 'terminals'],
    ];
    for (const [options, field] of bad) {
      assert.throws(
        () => transactions({ ...BASE, ...options }),
        (error: unknown) => error instanceof SimulationOptionError && error.field === field,
        field,
      );
    }
  });
});
