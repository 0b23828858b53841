import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HistoryFacts } from '../../../../src/core/features/history-facts.js';
import { CUSTOMER_RECORD_WIDTH as WIDTH } from '../../../../src/core/features/state-port.js';

/** Records as appended: mostly in order, sometimes another partition, an offset again (a replay) or a late time. */
const recordStep = fc.record({
  partition: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
  offsetStep: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 0 }) },
  ),
  timeStep: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 1000 }) },
    { weight: 1, arbitrary: fc.integer({ min: -1000, max: -1 }) },
  ),
  amount: fc.integer({ min: 0, max: 1_000_000 }),
});

const operation = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(recordStep, { minLength: 1, maxLength: 5 })
      .map((steps) => ({ kind: 'append' as const, steps })),
  },
  { weight: 2, arbitrary: fc.nat().map((count) => ({ kind: 'dropFront' as const, count })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

/** Whether records [start, end) are in order, pair by pair. */
function inOrder(records: number[], start: number): boolean {
  for (let c = start + 1; c < records.length / WIDTH; c++) {
    const [time, , partition, offset] = records.slice(c * WIDTH, (c + 1) * WIDTH);
    const [previousTime, , previousPartition, previousOffset] = records.slice((c - 1) * WIDTH, c * WIDTH);
    if (!(partition === previousPartition && offset! > previousOffset! && time! >= previousTime!)) return false;
  }
  return true;
}

describe('history facts', () => {
  it('know, after any appends, drops and resets, from where the records are in order and the sum of any range', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 30 }), (operations) => {
        const facts = new HistoryFacts();
        let records: number[] = [];
        let offset = 10;
        let time = 1_000_000;
        for (const op of operations) {
          if (op.kind === 'append') {
            const batch: number[] = [];
            for (const step of op.steps) {
              offset += step.offsetStep;
              time += step.timeStep;
              batch.push(time, step.amount, step.partition, offset);
            }
            // Appended from the middle of a larger array, as the engine's batch array is shared by its customers.
            const shared = [0, 0, 0, 0, ...batch, 0, 0, 0, 0];
            facts.append(shared, 1, 1 + op.steps.length);
            records = records.concat(batch);
          } else if (op.kind === 'dropFront') {
            const count = op.count % (records.length / WIDTH + 1);
            facts.dropFront(count);
            records = records.slice(count * WIDTH);
          } else {
            facts.reset();
            records = [];
          }
          const count = records.length / WIDTH;
          const sums = facts.amountsBefore();
          assert.ok(sums !== undefined);
          for (let start = 0; start <= count; start++) {
            assert.equal(facts.inOrderFrom(start), inOrder(records, start), `from ${start} of ${count}`);
            let sum = 0;
            for (let end = start; end <= count; end++) {
              assert.equal(sums[end]! - sums[start]!, sum, `[${start}, ${end})`);
              if (end < count) sum += records[end * WIDTH + 1]!;
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('give no sums once they could be inexact, until reset', () => {
    const facts = new HistoryFacts();
    facts.append([1, Number.MAX_SAFE_INTEGER, 0, 1, 2, 1, 0, 2], 0, 2);
    assert.equal(facts.amountsBefore(), undefined);
    facts.reset();
    facts.append([1, 5, 0, 1], 0, 1);
    assert.deepEqual(Array.from(facts.amountsBefore()!), [0, 5]);
  });
});
