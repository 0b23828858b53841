import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DelayedLabelJoin, type LoggedPrediction } from '../../../../src/core/monitoring/evaluation.js';

const DAY = 86_400_000;
const D0 = 20_000; // a UTC day index

function prediction(i: number, day: number, score: number, version = '1'): LoggedPrediction {
  return {
    transactionId: `tx-${day}-${i}`,
    eventTimeMs: day * DAY + i * 1000,
    score,
    decision: score >= 0.5 ? 'BLOCK' : score >= 0.2 ? 'REVIEW' : 'APPROVE',
    modelVersion: version,
    customerId: `c${i % 7}`,
    amount: 10 + i,
  };
}

describe('DelayedLabelJoin', () => {
  const horizonDays = 3;

  it('finalises a day only after its horizon, with the labels reported within it', () => {
    const join = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
    const rows = Array.from({ length: 20 }, (_, i) => prediction(i, D0, i / 20));
    rows.forEach((p) => join.addPrediction(p));
    // Fraud reported 1.5 days after the day ends; another reported after the horizon (late: genuine).
    join.addLabel({ transactionId: 'tx-20000-19', isFraud: true, reportedAtMs: (D0 + 2.5) * DAY });
    join.addLabel({ transactionId: 'tx-20000-3', isFraud: true, reportedAtMs: (D0 + 1 + horizonDays + 1) * DAY });
    join.addLabel({ transactionId: 'tx-20000-5', isFraud: false, reportedAtMs: (D0 + 1) * DAY });
    assert.deepEqual(join.advance((D0 + 1 + horizonDays) * DAY - 1), []);
    const [day] = join.advance((D0 + 1 + horizonDays) * DAY);
    assert.ok(day);
    assert.equal(day.day, D0);
    assert.equal(day.metrics.frauds, 1);
    assert.deepEqual(day.metrics.fraudAmount, { BLOCK: 29, REVIEW: 0, APPROVE: 0 });
    // Label age: not known 1 day after the day ended, known 2 days after.
    assert.deepEqual(
      day.byLabelAge.map((a) => a.metrics.frauds),
      [0, 1, 1],
    );
    assert.equal(join.lateLabels, 1);
    assert.deepEqual(join.openDays(), []);
  });

  it('gives the same result whatever the arrival order, and counts duplicates and late predictions once', () => {
    const predictions = [D0, D0 + 1].flatMap((day) =>
      Array.from({ length: 30 }, (_, i) => prediction(i, day, (i % 10) / 10)),
    );
    const labels = predictions
      .filter((_, i) => i % 4 === 0)
      .map((p) => ({ transactionId: p.transactionId, isFraud: true, reportedAtMs: p.eventTimeMs + DAY }));
    const a = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
    predictions.forEach((p) => a.addPrediction(p));
    labels.forEach((l) => a.addLabel(l));
    const b = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
    [...labels].reverse().forEach((l) => b.addLabel(l));
    [...predictions].reverse().forEach((p) => b.addPrediction(p));
    b.addPrediction(predictions[0]!);
    assert.equal(b.duplicates, 1);
    const end = (D0 + 10) * DAY;
    assert.deepEqual(a.advance(end), b.advance(end));
    b.addPrediction(prediction(99, D0, 0.9));
    assert.equal(b.latePredictions, 1, 'a day already final does not change');
  });

  it('keeps model versions apart and pools the latest final days for the live figure', () => {
    const join = new DelayedLabelJoin({ horizonDays: 1, windowDays: 2 });
    for (const day of [D0, D0 + 1, D0 + 2]) {
      for (let i = 0; i < 10; i++) {
        join.addPrediction(prediction(i, day, i / 10, '1'));
        join.addPrediction({ ...prediction(i + 50, day, i / 10, '2') });
      }
      join.addLabel({ transactionId: `tx-${day}-9`, isFraud: true, reportedAtMs: day * DAY + DAY });
    }
    const matured = join.advance((D0 + 10) * DAY);
    assert.deepEqual(
      matured.map((d) => `${d.day - D0}:${d.modelVersion}`),
      ['0:1', '0:2', '1:1', '1:2', '2:1', '2:2'],
    );
    const live = join.live().get('1');
    assert.ok(live);
    assert.deepEqual(live.days, [D0 + 1, D0 + 2]);
    assert.equal(live.metrics.records, 20);
    assert.equal(live.metrics.frauds, 2);
    assert.equal(live.metrics.aucRoc, 1, 'the fraud has the highest score of its days');
  });
});
