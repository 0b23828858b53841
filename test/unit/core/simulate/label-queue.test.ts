import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LabelQueue, type QueuedLabel } from '../../../../src/core/simulate/label-queue.js';

describe('LabelQueue', () => {
  it('pops in (reported_at, transaction number) order, interleaved with pushes, like a sort would', () => {
    const label = fc.record({
      // A narrow time range forces ties, which must break on the transaction number.
      reportedAtMs: fc.integer({ min: 0, max: 50 }),
      transactionNumber: fc.nat({ max: 1_000_000 }),
      isFraud: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(label, fc.nat({ max: 3 })), { maxLength: 3_000 }), (steps) => {
        const queue = new LabelQueue();
        const model: QueuedLabel[] = [];
        const popped: QueuedLabel[] = [];
        const expected: QueuedLabel[] = [];
        const order = (a: QueuedLabel, b: QueuedLabel): number =>
          a.reportedAtMs - b.reportedAtMs || a.transactionNumber - b.transactionNumber;
        for (const [item, pops] of steps) {
          queue.push(item);
          model.push(item);
          model.sort(order);
          for (let i = 0; i < pops && model.length > 0; i++) {
            expected.push(model.shift()!);
            popped.push(queue.pop()!);
          }
          assert.equal(queue.size, model.length);
          assert.equal(queue.peekReportedAt(), model[0]?.reportedAtMs ?? Number.POSITIVE_INFINITY);
        }
        while (queue.size > 0) popped.push(queue.pop()!);
        expected.push(...model);
        // Equal (reportedAt, number) pairs may come out in either order; compare on the sort key and the flag count.
        assert.deepEqual(
          popped.map((l) => [l.reportedAtMs, l.transactionNumber]),
          expected.map((l) => [l.reportedAtMs, l.transactionNumber]),
        );
        assert.equal(popped.filter((l) => l.isFraud).length, expected.filter((l) => l.isFraud).length);
      }),
      { numRuns: 200 },
    );
  });

  it('returns undefined when empty', () => {
    assert.equal(new LabelQueue().pop(), undefined);
  });
});
