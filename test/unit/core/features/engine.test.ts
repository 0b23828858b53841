import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PositionedTransaction } from '../../../../src/core/contract/events.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../../../src/core/features/engine.js';
import { FeatureInputError, OverlappingFeaturizeError } from '../../../../src/core/features/errors.js';
import { createMemoryFeatureState } from '../../../../src/core/features/memory-state.js';
import type { FeatureStatePort } from '../../../../src/core/features/state-port.js';
import { oracleRows } from '../../../support/feature-oracle.js';
import { randomFeatureStream, rebatched, runStream } from '../../../support/feature-random-stream.js';

const LABEL_DELAY_MS = 7 * DAY_MS;

function tx(id: string, amountMinor: number, eventTimeMs = Date.UTC(2024, 0, 1)): PositionedTransaction {
  return {
    transactionId: id,
    eventTimeMs,
    customerId: 'c',
    terminalId: 't',
    amountMinor,
    currency: 'EUR',
    position: { partition: 0, offset: 0 },
  };
}

/** A state that counts calls and delegates to a memory state. */
function spyState(): FeatureStatePort & { calls: string[] } {
  const inner = createMemoryFeatureState();
  const calls: string[] = [];
  return {
    calls,
    recordBatch: (write) => (calls.push('recordBatch'), inner.recordBatch(write)),
    readBatch: (read) => (calls.push('readBatch'), inner.readBatch(read)),
    recordFraudReports: (reports) => (
      calls.push(`recordFraudReports:${reports.length}`),
      inner.recordFraudReports(reports)
    ),
  };
}

describe('feature engine', () => {
  it('matches a brute-force oracle of the definitions, bit for bit, whatever the batch size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 400 }),
        async (seed, size) => {
          const stream = randomFeatureStream({
            seed,
            events: 600,
            customers: 25,
            terminals: 8,
            partitions: 2,
            days: 60,
            maxBatch: 100,
          });
          const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
          const rows = await runStream(engine, rebatched(stream, size));
          const expected = oracleRows(stream.events, stream.labels, LABEL_DELAY_MS);
          rows.forEach((row, i) => {
            assert.deepEqual(Array.from(row.values), expected[i], `${stream.events[i]!.transactionId} (batch ${size})`);
          });
        },
      ),
      { numRuns: 12 },
    );
  });

  it('gives the same rows to replays and retries of aborted batches within a live-like stream', async () => {
    const stream = randomFeatureStream({
      seed: 42,
      events: 2000,
      customers: 40,
      terminals: 10,
      partitions: 3,
      days: 70,
      maxBatch: 120,
    });
    assert.ok(
      stream.steps.some((step) => step.kind === 'batch' && step.aborted),
      'the stream has aborted batches',
    );
    // runStream asserts that each re-featurised transaction gets its first row again.
    const rows = await runStream(
      createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS }),
      stream.steps,
    );
    assert.ok(rows.length > stream.events.length, 'replays produced rows too');
  });

  it('gives the first rows to two batches read again after a later trim, over 40 sparse seeded streams', async () => {
    // 1500 events over 300 days in batches of up to 60: a batch spans days of event time, so the trim of the batch
    // after cuts into windows of the batch before; both are then read again (a rebalance before either committed).
    // runStream passes replayableFromMs as the runner does and asserts that every replay gets its first row. Fixed
    // seeds: several of these streams fail when the engine trims past replayableFromMs.
    for (let seed = 1; seed <= 40; seed++) {
      const stream = randomFeatureStream({
        seed,
        events: 1500,
        customers: 10,
        terminals: 8,
        partitions: 2,
        days: 300,
        maxBatch: 60,
      });
      const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
      await runStream(engine, stream.steps);
    }
  });

  it('rejects a record with a non-finite amount or event time before writing anything', async () => {
    const state = spyState();
    const engine = createFeatureEngine({ state, labelDelayMs: LABEL_DELAY_MS });
    await assert.rejects(engine.featurize([tx('ok', 100), tx('bad', Number.NaN)]), (error: unknown) => {
      assert.ok(error instanceof FeatureInputError);
      assert.equal(error.transactionId, 'bad');
      assert.equal(error.field, 'amountMinor');
      assert.equal(error.retriable, false);
      return true;
    });
    await assert.rejects(engine.featurize([tx('late', 1, Number.POSITIVE_INFINITY)]), FeatureInputError);
    await assert.rejects(engine.featurize([tx('ok', 100)], [], Number.NaN), /replayableFromMs/);
    await assert.rejects(engine.featurize([tx('ok', 100)], [], Number.NEGATIVE_INFINITY), /replayableFromMs/);
    assert.deepEqual(state.calls, []);
  });

  it('uses two state calls per batch, none for an empty batch, and only fraud labels reach the state', async () => {
    const state = spyState();
    const engine = createFeatureEngine({ state, labelDelayMs: LABEL_DELAY_MS });
    assert.deepEqual(await engine.featurize([]), []);
    await engine.featurize([tx('a', 100)]);
    await engine.ingestLabels([
      { transactionId: 'a', isFraud: false, reportedAtMs: 1 },
      { transactionId: 'a', isFraud: true, reportedAtMs: 2 },
    ]);
    await engine.ingestLabels([{ transactionId: 'b', isFraud: false, reportedAtMs: 1 }]);
    assert.deepEqual(state.calls, ['recordBatch', 'readBatch', 'recordFraudReports:1']);
  });

  it('refuses overlapping featurize calls (they would lose log order)', async () => {
    const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
    const first = engine.featurize([tx('a', 100)]);
    await assert.rejects(engine.featurize([tx('b', 100)]), OverlappingFeaturizeError);
    assert.equal((await first).length, 1);
  });

  it('exposes the schema of its label delay and the retention of its state', () => {
    const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
    assert.deepEqual(engine.schema, FEATURE_SCHEMA);
    // 30-day window + 7-day delay + 1-day default lateness margin.
    assert.equal(engine.retentionMs, 38 * DAY_MS);
    const other = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: 3 * DAY_MS });
    assert.notEqual(other.schema.version, engine.schema.version);
    assert.throws(() => createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: 0 }), RangeError);
  });

  it('returns finite rows in schema order with nothing imputed for valid input', async () => {
    const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
    const [row] = await engine.featurize([tx('a', 250)]);
    assert.equal(row!.values.length, FEATURE_SCHEMA.names.length);
    assert.ok(Array.from(row!.values).every(Number.isFinite));
    assert.equal(row!.values[FEATURE_SCHEMA.names.indexOf('amount')], 2.5);
    assert.deepEqual(row!.imputed, []);
  });
});
