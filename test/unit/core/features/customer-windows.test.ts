/**
 * Customer windows of histories in order (one partition, offsets and event times ascending, ties allowed): the
 * usual history, answered by binary search. Compared with the definition counted record by record, and with the
 * general path, which a replayed copy of the first record forces (the copy is a duplicate and never counts), and
 * with what a backend tells of the order and the running sums of amounts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PositionedTransaction } from '../../../../src/core/contract/events.js';
import { accumulateCustomerWindows } from '../../../../src/core/features/customer-windows.js';
import { DAY_MS } from '../../../../src/core/features/definitions.js';
import { HistoryFacts } from '../../../../src/core/features/history-facts.js';
import { CUSTOMER_RECORD_WIDTH as WIDTH, type CustomerHistory } from '../../../../src/core/features/state-port.js';

const WINDOWS_MS = new Float64Array([DAY_MS, 7 * DAY_MS, 30 * DAY_MS]);
const MARGIN_MS = DAY_MS;
const START_MS = Date.UTC(2024, 4, 6);

interface Drafted {
  readonly history: CustomerHistory;
  readonly batch: PositionedTransaction[];
  readonly members: number[];
}

/** A history of records at ascending offsets and times; the batch is its last `batchSize` records. */
const drafted = fc
  .record({
    gapsMs: fc.array(
      fc.oneof(
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 * DAY_MS }) },
      ),
      { minLength: 1, maxLength: 60 },
    ),
    amounts: fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 60, maxLength: 60 }),
    firstOffset: fc.integer({ min: 0, max: 1_000 }),
    offsetSteps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 60, maxLength: 60 }),
    trimmed: fc.integer({ min: 0, max: 10 }),
    batchSize: fc.integer({ min: 1, max: 8 }),
  })
  .map(({ gapsMs, amounts, firstOffset, offsetSteps, trimmed, batchSize }): Drafted => {
    const records: number[] = [];
    const transactions: PositionedTransaction[] = [];
    let time = START_MS;
    let offset = firstOffset;
    gapsMs.forEach((gap, i) => {
      time += gap;
      offset += offsetSteps[i]!;
      records.push(time, amounts[i]!, 3, offset);
      transactions.push({
        transactionId: `tx-${i}`,
        eventTimeMs: time,
        customerId: 'c',
        terminalId: 't',
        amountMinor: amounts[i]!,
        currency: 'EUR',
        position: { partition: 3, offset },
      });
    });
    const count = transactions.length;
    const batch = transactions.slice(Math.max(0, count - batchSize));
    const start = Math.min(trimmed, count - batch.length);
    return { history: { records, start, end: count }, batch, members: batch.map((_, index) => index) };
  });

function windowsOf(history: CustomerHistory, { batch, members }: Drafted): number[] {
  const out = new Float64Array(batch.length * WINDOWS_MS.length * 2);
  accumulateCustomerWindows(history, batch, members, WINDOWS_MS, MARGIN_MS, out);
  return [...out];
}

/** The definition, record by record: a record counts when it precedes r (offset) and its time is in (t − w, t]. */
function countedOneByOne({ history, batch }: Drafted): number[] {
  const out: number[] = [];
  for (const tx of batch) {
    for (const windowMs of WINDOWS_MS) {
      let count = 0;
      let sum = 0;
      for (let c = history.start; c < history.end; c++) {
        const [time, amount, , offset] = Array.from({ length: WIDTH }, (_, f) => history.records[c * WIDTH + f]!);
        if (offset! <= tx.position.offset && time! > tx.eventTimeMs - windowMs && time! <= tx.eventTimeMs) {
          count++;
          sum += amount!;
        }
      }
      out.push(count, sum);
    }
  }
  return out;
}

/** The same history with its first record appended again, as a replay would: the general path, same answer. */
function withReplayedFirst({ records, start, end }: CustomerHistory): CustomerHistory {
  const copy = Array.from(records).slice(0, end * WIDTH);
  copy.push(...copy.slice(start * WIDTH, (start + 1) * WIDTH));
  return { records: copy, start, end: end + 1 };
}

describe('customer windows of a history in order', () => {
  it('count and sum what the definition counts, record by record', () => {
    fc.assert(
      fc.property(drafted, (draft) => {
        assert.deepEqual(windowsOf(draft.history, draft), countedOneByOne(draft));
      }),
      { numRuns: 300 },
    );
  });

  it('agree with the general path, which handles replays', () => {
    fc.assert(
      fc.property(drafted, (draft) => {
        assert.deepEqual(windowsOf(draft.history, draft), windowsOf(withReplayedFirst(draft.history), draft));
      }),
      { numRuns: 300 },
    );
  });

  it('give the same from the order and running sums a backend keeps (HistoryFacts)', () => {
    fc.assert(
      fc.property(drafted, (draft) => {
        const facts = new HistoryFacts();
        facts.append(draft.history.records, 0, draft.history.end);
        const told = {
          ...draft.history,
          inOrder: facts.inOrderFrom(draft.history.start),
          amountsBefore: facts.amountsBefore(),
        };
        assert.equal(told.inOrder, true);
        assert.deepEqual(windowsOf(told, draft), countedOneByOne(draft));
      }),
      { numRuns: 300 },
    );
  });

  it('read typed and plain arrays alike (the Redis replica and the memory state)', () => {
    fc.assert(
      fc.property(drafted, (draft) => {
        const typed = { ...draft.history, records: Float64Array.from(draft.history.records) };
        assert.deepEqual(windowsOf(typed, draft), windowsOf(draft.history, draft));
      }),
      { numRuns: 100 },
    );
  });

  it('count a record once a window reaches exactly one window length back, not before', () => {
    const at = START_MS + 40 * DAY_MS;
    const records = [at - 30 * DAY_MS, 100, 0, 1, at - 7 * DAY_MS + 1, 20, 0, 2, at, 3, 0, 3];
    const batch: PositionedTransaction[] = [
      {
        transactionId: 'now',
        eventTimeMs: at,
        customerId: 'c',
        terminalId: 't',
        amountMinor: 3,
        currency: 'EUR',
        position: { partition: 0, offset: 3 },
      },
    ];
    const out = new Float64Array(6);
    accumulateCustomerWindows({ records, start: 0, end: 3 }, batch, [0], WINDOWS_MS, MARGIN_MS, out);
    // 1 day: itself; 7 days: the record 7 days less 1 ms back too; 30 days: not the one exactly 30 days back.
    assert.deepEqual([...out], [1, 3, 2, 23, 2, 23]);
  });
});
