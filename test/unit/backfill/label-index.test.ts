import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LabelIndex, labelBatchOf, type TrainingTarget } from '../../../src/backfill/label-index.js';
import type { LabelEvent } from '../../../src/core/contract/events.js';

const targetOf = (index: LabelIndex, transactionId: string, asOfMs: number): TrainingTarget => {
  const into: TrainingTarget = { label: 1, labelReportedAtMs: -1 };
  index.targetOf(transactionId, asOfMs, into);
  return into;
};

describe('label index', () => {
  it('gives the earliest fraud report known at the as-of time, else the earliest non-fraud one', () => {
    const index = new LabelIndex();
    const labels: LabelEvent[] = [
      { transactionId: 'a', isFraud: false, reportedAtMs: 100 },
      { transactionId: 'a', isFraud: true, reportedAtMs: 300 },
      { transactionId: 'a', isFraud: true, reportedAtMs: 200 },
      { transactionId: 'b', isFraud: false, reportedAtMs: 50 },
      { transactionId: 'b', isFraud: false, reportedAtMs: 40 },
    ];
    index.add(labelBatchOf(labels));
    assert.deepEqual(targetOf(index, 'a', 99), { label: 0, labelReportedAtMs: Number.NaN });
    assert.deepEqual(targetOf(index, 'a', 100), { label: 0, labelReportedAtMs: 100 });
    assert.deepEqual(targetOf(index, 'a', 200), { label: 1, labelReportedAtMs: 200 });
    assert.deepEqual(targetOf(index, 'b', 1000), { label: 0, labelReportedAtMs: 40 });
    assert.deepEqual(targetOf(index, 'unknown', 1000), { label: 0, labelReportedAtMs: Number.NaN });
  });

  it("gives the id's labels to its first recording only: a later one (the id reused) gets none", () => {
    const index = new LabelIndex();
    index.add(
      labelBatchOf([
        { transactionId: 'a', isFraud: true, reportedAtMs: 100 },
        { transactionId: 'b', isFraud: false, reportedAtMs: 100 },
      ]),
    );
    const target = (): TrainingTarget => ({ label: 1, labelReportedAtMs: -1 });
    const first = target();
    assert.equal(index.targetOfRecording('a', 1000, first), false);
    assert.deepEqual(first, { label: 1, labelReportedAtMs: 100 });
    const later = target();
    assert.equal(index.targetOfRecording('a', 1000, later), true);
    assert.deepEqual(later, { label: 0, labelReportedAtMs: Number.NaN });
    // A recording that got no row counts as the first all the same; an unlabelled id is never "reused".
    assert.equal(index.noteRecording('xbx', 1, 2), false);
    assert.equal(index.targetOfRecording('b', 1000, target()), true);
    assert.equal(index.noteRecording('c'), false);
    assert.equal(index.noteRecording('c'), false);
  });

  it('keeps every transaction apart when it holds more labels than its initial capacity', () => {
    const index = new LabelIndex();
    const count = 200_000;
    for (let start = 0; start < count; start += 10_000) {
      const labels: LabelEvent[] = [];
      for (let i = start; i < start + 10_000; i++) {
        labels.push({ transactionId: `tx-${i}`, isFraud: i % 7 === 0, reportedAtMs: i });
      }
      index.add(labelBatchOf(labels));
    }
    for (const i of [0, 1, 65_535, 65_536, 65_537, 131_072, 199_999]) {
      assert.deepEqual(targetOf(index, `tx-${i}`, Infinity), { label: i % 7 === 0 ? 1 : 0, labelReportedAtMs: i });
    }
  });
});
