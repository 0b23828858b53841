/**
 * Invariant 4, feature side: the engine never hands a non-finite value to the model. Where a definition has no value
 * (a mean over an empty window) the engine substitutes the declared default (definitions.ts) and names the feature in
 * `imputed`. Driven here through the memory state, the backfill's backend; the engine code is the same online.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PositionedTransaction } from '../../../../src/core/contract/events.js';
import { DAY_MS, defineFeatureSet, FEATURE_SCHEMA } from '../../../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../../src/core/features/memory-state.js';
import type { FeatureRow } from '../../../../src/core/features/types.js';

const LABEL_DELAY_MS = 7 * DAY_MS;
const T0 = Date.UTC(2025, 2, 3, 12);
const NAMES = FEATURE_SCHEMA.names;
const DEFAULTS = new Map(defineFeatureSet({ labelDelayMs: LABEL_DELAY_MS }).map((d) => [d.name, d.defaultValue]));

function engine() {
  return createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
}

function tx(
  id: string,
  eventTimeMs: number,
  amountMinor: number,
  offset: number,
  partition = 0,
  customerId = 'c',
): PositionedTransaction {
  return {
    transactionId: id,
    eventTimeMs,
    customerId,
    terminalId: 't',
    amountMinor,
    currency: 'EUR',
    position: { partition, offset },
  };
}

const value = (row: FeatureRow, name: string) => row.values[NAMES.indexOf(name)];

/** Every value finite; every imputed name a feature, holding its declared default. */
function assertContract(row: FeatureRow, context: string): void {
  assert.equal(row.values.length, NAMES.length);
  row.values.forEach((v, i) => assert.ok(Number.isFinite(v), `${context}: ${NAMES[i]} = ${v}`));
  for (const name of row.imputed) {
    assert.ok(NAMES.includes(name), `${context}: imputed ${name} is a feature`);
    assert.equal(value(row, name), DEFAULTS.get(name), `${context}: ${name} holds its declared default`);
  }
}

describe('features that have no value', () => {
  it('counts a new record at a reused position (a recreated topic) as itself: no empty window', async () => {
    // A topic deleted and created again restarts its offsets while the state (Redis, with its TTL) keeps the
    // customer's history: the new record at offset 0 finds an older record at the same position. A record is
    // identified by position, event time and amount, so the new one is not taken for a replay of the old one.
    const features = engine();
    const [old] = await features.featurize([tx('before-recreate', T0, 12_345, 0)]);
    assertContract(old!, 'first record');
    assert.deepEqual(old!.imputed, []);

    const [row] = await features.featurize([tx('after-recreate', T0 + 10 * DAY_MS, 500, 0)]);
    assertContract(row!, 'record at a reused position');
    assert.deepEqual(row!.imputed, []);
    assert.equal(value(row!, 'customer_nb_tx_1d'), 1);
    assert.equal(value(row!, 'customer_avg_amount_1d'), 5);
    assert.equal(value(row!, 'customer_nb_tx_7d'), 1);
    // The 30-day window also holds the older record (at the same offset: it precedes in log order).
    assert.equal(value(row!, 'customer_nb_tx_30d'), 2);
    assert.equal(value(row!, 'customer_avg_amount_30d'), 12_845 / 2 / 100);
    assert.equal(value(row!, 'amount'), 5);
  });

  it('keeps means finite for the largest amounts the engine accepts (no overflow to Infinity)', async () => {
    const features = engine();
    const batch = Array.from({ length: 50 }, (_, i) => tx(`big-${i}`, T0 + i, Number.MAX_SAFE_INTEGER, i));
    const rows = await features.featurize(batch);
    rows.forEach((row, i) => {
      assertContract(row, `big-${i}`);
      assert.deepEqual(row.imputed, [], `big-${i}: nothing imputed`);
    });
    assert.equal(value(rows[49]!, 'customer_nb_tx_1d'), 50);
  });

  it('an empty terminal window gives a risk of 0 by definition, not 0 / 0', async () => {
    const [row] = await engine().featurize([tx('lonely', T0, 100, 0)]);
    assertContract(row!, 'lonely');
    for (const days of [1, 7, 30]) {
      assert.equal(value(row!, `terminal_nb_tx_${days}d`), 0);
      assert.equal(value(row!, `terminal_risk_${days}d`), 0);
    }
    assert.deepEqual(row!.imputed, []);
  });

  it('whatever the stream (reused positions, any event times, extreme amounts), every value is finite', async () => {
    const transaction = fc.record({
      customer: fc.integer({ min: 0, max: 3 }),
      partition: fc.integer({ min: 0, max: 1 }),
      // Offsets from a small range: positions collide, as after a topic is recreated.
      offset: fc.integer({ min: 0, max: 30 }),
      eventTimeMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2030, 0, 1) }),
      amountMinor: fc.oneof(
        fc.integer({ min: 0, max: 100_000_000_000 }),
        fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER),
      ),
    });
    let imputedRows = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(transaction, { minLength: 1, maxLength: 20 }), { maxLength: 15 }),
        async (batches) => {
          const features = engine();
          let n = 0;
          for (const batch of batches) {
            const txs = batch.map((b) =>
              tx(`tx-${n++}`, b.eventTimeMs, b.amountMinor, b.offset, b.partition, `c${b.customer}`),
            );
            const rows = await features.featurize(txs);
            assert.equal(rows.length, txs.length);
            rows.forEach((row, i) => assertContract(row, txs[i]!.transactionId));
            imputedRows += rows.filter((row) => row.imputed.length > 0).length;
          }
        },
      ),
      { numRuns: 300 },
    );
    // The property is only worth something if streams like these do reach the imputation path.
    assert.ok(imputedRows > 0, 'some rows were imputed');
  });
});
