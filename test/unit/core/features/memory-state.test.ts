import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS } from '../../../../src/core/features/definitions.js';
import { createMemoryFeatureState } from '../../../../src/core/features/memory-state.js';
import type { StateRead, StateWrite } from '../../../../src/core/features/state-port.js';

const T0 = Date.UTC(2024, 0, 1);

function write(id: string, terminalId: string, eventTimeMs: number, trimBeforeMs = -Infinity): StateWrite {
  const records = Float64Array.of(eventTimeMs, 100, 0, eventTimeMs);
  return {
    records,
    transactionIds: [id],
    logOrder: Int32Array.of(0),
    duplicateHorizonMs: DAY_MS,
    customers: [{ customerId: `c-${terminalId}`, records, from: 0, to: 1, trimBeforeMs }],
    terminals: [{ terminalId, records: [0], trimBeforeMs }],
    progress: [],
  };
}

/** Transactions of one terminal (no customers), each at its own position. */
function terminalWrite(
  terminalId: string,
  transactions: readonly { transactionId: string; eventTimeMs: number }[],
  trimBeforeMs: number,
): StateWrite {
  const records = new Float64Array(transactions.length * 4);
  transactions.forEach((tx, k) => records.set([tx.eventTimeMs, 100, 0, tx.eventTimeMs], k * 4));
  return {
    records,
    transactionIds: transactions.map((tx) => tx.transactionId),
    logOrder: Int32Array.from(transactions, (_, k) => k),
    duplicateHorizonMs: DAY_MS,
    customers: [],
    terminals: [{ terminalId, records: transactions.map((_, k) => k), trimBeforeMs }],
    progress: [],
  };
}

function countQuery(terminalId: string, from: number, to: number): StateRead {
  const ranges = {
    terminalIds: [terminalId],
    rangeStart: Int32Array.of(0, 1),
    fromExclusiveMs: Float64Array.of(from),
    toInclusiveMs: Float64Array.of(to),
  };
  return { customerIds: [`c-${terminalId}`], terminalCounts: ranges, terminalFraud: ranges };
}

describe('memory feature state', () => {
  it('counts terminal transactions in (from, to], like ZCOUNT with an exclusive lower bound', async () => {
    const state = createMemoryFeatureState();
    for (const [i, time] of [T0, T0 + 10, T0 + 5, T0 + 10, T0 + 20].entries()) {
      await state.recordBatch(write(`tx${i}`, 't', time));
    }
    const counts = async (from: number, to: number) =>
      (await state.readBatch(countQuery('t', from, to))).terminalCounts[0];
    assert.equal(await counts(T0, T0 + 10), 3);
    assert.equal(await counts(T0 - 1, T0 + 10), 4);
    assert.equal(await counts(T0 + 10, T0 + 20), 1);
    assert.equal(await counts(T0 + 20, T0 + 10), 0);
  });

  it('stores a (time, id) once per terminal and joins the earliest fraud report to the first recording', async () => {
    const state = createMemoryFeatureState();
    await state.recordFraudReports([{ transactionId: 'a', reportedAtMs: T0 + 9 }]);
    await state.recordFraudReports([{ transactionId: 'a', reportedAtMs: T0 + 7 }]);
    await state.recordBatch(write('a', 't', T0));
    await state.recordBatch(write('a', 't', T0)); // a replay
    // The same id again 1 ms later at another position: a duplicate (within the horizon), not stored.
    const duplicate = await state.recordBatch(write('a', 't', T0 + 1));
    assert.deepEqual(duplicate.duplicates, [{ record: 0, first: { partition: 0, offset: T0 } }]);
    // Two days later (beyond the horizon): another transaction that happens to reuse the id, another entry.
    await state.recordBatch(write('a', 't', T0 + 2 * DAY_MS));
    await state.recordFraudReports([{ transactionId: 'a', reportedAtMs: T0 + 8 }]);
    const snapshot = await state.readBatch(countQuery('t', T0 - 1, T0 + 3 * DAY_MS));
    assert.equal(snapshot.terminalCounts[0], 2);
    assert.deepEqual(snapshot.terminalFraud[0], [{ transactionId: 'a', eventTimeMs: T0, reportedAtMs: T0 + 7 }]);
    assert.equal(state.stats().pendingReports, 0);
  });

  it('never builds the transaction index when labels come first (the backfill)', async () => {
    const state = createMemoryFeatureState();
    await state.recordFraudReports([{ transactionId: 'd3', reportedAtMs: T0 }]);
    for (let day = 0; day < 10; day++) {
      await state.recordBatch(write(`d${day}`, 't', T0 + day * DAY_MS));
    }
    assert.deepEqual(state.stats(), {
      customers: 1,
      terminals: 1,
      indexedTransactions: 0,
      // Ids are remembered for duplicate detection for two horizons (2 days) behind the newest event: days 7..9.
      claimedTransactions: 3,
      pendingReports: 0,
    });
    const snapshot = await state.readBatch(countQuery('t', -Infinity, Infinity));
    assert.deepEqual(snapshot.terminalFraud[0], [
      { transactionId: 'd3', eventTimeMs: T0 + 3 * DAY_MS, reportedAtMs: T0 },
    ]);
  });

  it('still finds claims, and their first positions, after evicted claims were compacted away', async () => {
    const state = createMemoryFeatureState();
    // One transaction a minute for eight days: claims older than two days are evicted, and the evicted prefix is
    // compacted away from the claim arrays several times (it is compacted once it is half of them).
    const MINUTE = 60_000;
    const minutes = 8 * 24 * 60;
    for (let m = 0; m < minutes; m++) {
      await state.recordBatch(write(`m${m}`, `t${m % 50}`, T0 + m * MINUTE));
    }
    assert.ok(state.stats().claimedTransactions <= 2 * 24 * 60 + 1);
    // The same id at another position within the horizon: a duplicate of its first recording.
    const recent = minutes - 10;
    const again = await state.recordBatch(write(`m${recent}`, 't0', T0 + (minutes + 1) * MINUTE));
    assert.deepEqual(again.duplicates, [{ record: 0, first: { partition: 0, offset: T0 + recent * MINUTE } }]);
    // An evicted id is new again.
    const old = await state.recordBatch(write('m5', 't0', T0 + (minutes + 2) * MINUTE));
    assert.deepEqual(old.duplicates, []);
  });

  it('drops the history prefix older than the trim cutoff', async () => {
    const state = createMemoryFeatureState();
    for (let day = 0; day < 10; day++) {
      await state.recordBatch(write(`d${day}`, 't', T0 + day * DAY_MS, T0 + (day - 3) * DAY_MS));
    }
    const snapshot = await state.readBatch(countQuery('t', -Infinity, Infinity));
    const history = snapshot.customers[0]!;
    assert.equal(history.end - history.start, 4, 'days 6..9 stay');
    assert.equal(history.records[history.start * 4], T0 + 6 * DAY_MS);
    assert.equal(snapshot.terminalCounts[0], 4);
  });

  it('keeps the transaction index to the terminal retention', async () => {
    const state = createMemoryFeatureState();
    await state.recordBatch(write('tx-first', 't', T0 - DAY_MS));
    // A label after transactions: from here on the index is kept.
    await state.recordFraudReports([{ transactionId: 'unknown', reportedAtMs: T0 }]);
    for (let day = 0; day < 200; day++) {
      await state.recordBatch(write(`tx${day}`, 't', T0 + day * DAY_MS, T0 + (day - 38) * DAY_MS));
    }
    assert.equal(state.stats().indexedTransactions, 39);
    // A replay of an indexed transaction is still recognised after evictions moved the index's segments.
    await state.recordBatch(write('tx199', 't', T0 + 199 * DAY_MS, T0 + 161 * DAY_MS));
    const snapshot = await state.readBatch(countQuery('t', -Infinity, Infinity));
    assert.equal(snapshot.terminalCounts[0], 39);
  });

  it('finds indexed transactions after whole index segments were evicted', async () => {
    const state = createMemoryFeatureState();
    const perBatch = 1000;
    await state.recordBatch(write('tx-first', 't', T0 - DAY_MS));
    await state.recordFraudReports([{ transactionId: 'unknown', reportedAtMs: T0 }]);
    // 150 days × 1000 transactions: 150k index slots, several 64k segments dropped along the way.
    for (let day = 0; day < 150; day++) {
      const transactions = Array.from({ length: perBatch }, (_, i) => ({
        transactionId: `d${day}-${i}`,
        eventTimeMs: T0 + day * DAY_MS + i,
      }));
      await state.recordBatch(terminalWrite('t', transactions, T0 + (day - 38) * DAY_MS));
    }
    assert.equal(state.stats().indexedTransactions, 39 * perBatch);
    await state.recordFraudReports([
      { transactionId: 'd140-7', reportedAtMs: T0 },
      { transactionId: 'd10-7', reportedAtMs: T0 },
    ]);
    assert.equal(state.stats().pendingReports, 2, 'the evicted transaction waits, the indexed one is joined');
    const snapshot = await state.readBatch(countQuery('t', -Infinity, Infinity));
    assert.deepEqual(snapshot.terminalFraud[0], [
      { transactionId: 'd140-7', eventTimeMs: T0 + 140 * DAY_MS + 7, reportedAtMs: T0 },
    ]);
    assert.equal(snapshot.terminalCounts[0], 39 * perBatch);
  });

  it('forgets entities idle for longer than idleEvictionMs of event time', async () => {
    const state = createMemoryFeatureState({ idleEvictionMs: 10 * DAY_MS });
    await state.recordBatch(write('old', 'idle', T0));
    for (let day = 0; day <= 12; day++) {
      await state.recordBatch(write(`busy${day}`, 'busy', T0 + day * DAY_MS));
    }
    const stats = state.stats();
    assert.equal(stats.terminals, 1);
    assert.equal(stats.customers, 1);
    const snapshot = await state.readBatch(countQuery('idle', -Infinity, Infinity));
    assert.equal(snapshot.terminalCounts[0], 0);
    assert.equal(snapshot.customers[0]!.end - snapshot.customers[0]!.start, 0);
  });
});
