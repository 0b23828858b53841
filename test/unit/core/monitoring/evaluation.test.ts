import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DelayedLabelJoin,
  type LoggedPrediction,
  type MaturedDay,
} from '../../../../src/core/monitoring/evaluation.js';

const DAY = 86_400_000;
const D0 = 20_000; // a UTC day index

function prediction(i: number, day: number, score: number, version = '1', name = 'card-fraud'): LoggedPrediction {
  return {
    transactionId: `tx-${day}-${i}`,
    eventTimeMs: day * DAY + i * 1000,
    score,
    decision: score >= 0.5 ? 'BLOCK' : score >= 0.2 ? 'REVIEW' : 'APPROVE',
    modelName: name,
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
      matured.map((d) => `${d.day - D0}:${d.model}`),
      ['0:card-fraud@1', '0:card-fraud@2', '1:card-fraud@1', '1:card-fraud@2', '2:card-fraud@1', '2:card-fraud@2'],
    );
    const live = join.live().get('card-fraud@1');
    assert.ok(live);
    assert.deepEqual(live.days, [D0 + 1, D0 + 2]);
    assert.equal(live.metrics.records, 20);
    assert.equal(live.metrics.frauds, 2);
    assert.equal(live.metrics.aucRoc, 1, 'the fraud has the highest score of its days');
  });

  it('drops a model whose latest final day is more than windowDays behind the newest (rolled back)', () => {
    const join = new DelayedLabelJoin({ horizonDays: 1, windowDays: 3 });
    // card-fraud@4 served day 0, then was rolled back to @5, which serves from day 1 on.
    join.addPrediction(prediction(0, D0, 0.1, '4'));
    for (let day = D0 + 1; day <= D0 + 3; day++) join.addPrediction(prediction(0, day, 0.1, '5'));
    join.advance((D0 + 10) * DAY);
    assert.deepEqual(
      [...join.live().keys()],
      ['card-fraud@4', 'card-fraud@5'],
      'day 0 is 3 days behind day 3, not more than 3',
    );
    join.addPrediction(prediction(0, D0 + 4, 0.1, '5'));
    join.advance((D0 + 11) * DAY);
    assert.deepEqual([...join.live().keys()], ['card-fraud@5'], 'day 0 is 4 days behind day 4: @4 is gone');
    assert.deepEqual(join.live().get('card-fraud@5')?.days, [D0 + 2, D0 + 3, D0 + 4]);
    // Served again later, it starts afresh.
    join.addPrediction(prediction(1, D0 + 5, 0.1, '4'));
    join.advance((D0 + 12) * DAY);
    assert.deepEqual(join.live().get('card-fraud@4')?.days, [D0 + 5]);
  });

  it('keeps two models with the same version apart (a challenger numbered like the champion)', () => {
    const join = new DelayedLabelJoin({ horizonDays: 1, windowDays: 7 });
    for (let i = 0; i < 10; i++) {
      join.addPrediction(prediction(i, D0, i / 10, '1', 'card-fraud'));
      // The challenger scores other transactions the other way round: the fraud gets its lowest score.
      join.addPrediction(prediction(i + 50, D0, 1 - i / 10, '1', 'broken-scores'));
    }
    join.addLabel({ transactionId: `tx-${D0}-9`, isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    join.addLabel({ transactionId: `tx-${D0}-59`, isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    const matured = join.advance((D0 + 10) * DAY);
    assert.deepEqual(
      matured.map((d) => [d.model, d.modelName, d.modelVersion, d.metrics.records, d.metrics.aucRoc]),
      [
        ['broken-scores@1', 'broken-scores', '1', 10, 0],
        ['card-fraud@1', 'card-fraud', '1', 10, 1],
      ],
    );
    assert.deepEqual([...join.live().keys()].sort(), ['broken-scores@1', 'card-fraud@1']);
    assert.equal(join.live().get('card-fraud@1')?.metrics.aucRoc, 1);
    assert.equal(join.live().get('broken-scores@1')?.metrics.aucRoc, 0);
  });

  it('counts a fraud report arriving after its day was final as late at once, and does not keep it', () => {
    const join = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
    for (let i = 0; i < 5; i++) join.addPrediction(prediction(i, D0, i / 5));
    const [day] = join.advance((D0 + 1 + horizonDays) * DAY);
    assert.equal(day?.metrics.frauds, 0);
    assert.equal(join.lateLabels, 0);
    // Reported within the horizon, but delivered after the day was final (a lagging labels partition).
    join.addLabel({ transactionId: `tx-${D0}-4`, isFraud: true, reportedAtMs: (D0 + 2) * DAY });
    // Reported long after the horizon, as a chargeback can be.
    join.addLabel({ transactionId: `tx-${D0}-3`, isFraud: true, reportedAtMs: (D0 + 1 + horizonDays + 1) * DAY });
    assert.equal(join.lateLabels, 2);
    assert.equal(join.heldLabels(), 0, 'nothing is held for a day that can no longer change');
    assert.equal(join.unmatchedLabels, 0);
    assert.equal(join.maturedDays()[0]?.metrics.frauds, 0, 'a final day does not change');
  });

  it('holds a report for a transaction never scored only until the day it was reported on is final', () => {
    const join = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
    // A dead-lettered transaction has a label but no prediction.
    join.addLabel({ transactionId: 'dead-lettered', isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    // A label that comes before its prediction still joins.
    join.addLabel({ transactionId: `tx-${D0 + 1}-3`, isFraud: true, reportedAtMs: (D0 + 1) * DAY + 10_000 });
    for (let i = 0; i < 5; i++) {
      join.addPrediction(prediction(i, D0, i / 5));
      join.addPrediction(prediction(i, D0 + 1, i / 5));
    }
    assert.equal(join.heldLabels(), 2);
    join.advance((D0 + 1 + horizonDays) * DAY); // D0 final; the reports' day D0 + 1 still open
    assert.equal(join.heldLabels(), 2);
    assert.equal(join.unmatchedLabels, 0);
    const [next] = join.advance((D0 + 2 + horizonDays) * DAY);
    assert.equal(next?.metrics.frauds, 1, 'the early label joined its prediction');
    assert.equal(join.heldLabels(), 0, 'memory follows the horizon');
    assert.equal(join.unmatchedLabels, 1);
    assert.equal(join.lateLabels, 0);
    // Once its report day is final, a report for a transaction never seen is not held at all.
    join.addLabel({ transactionId: 'dead-lettered-too', isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    assert.equal(join.heldLabels(), 0);
    assert.equal(join.unmatchedLabels, 2);
  });
});

describe('DelayedLabelJoin: a transaction id used twice', () => {
  const horizonDays = 3;
  const reused = 'tx-reused';
  const use = (day: number, score: number): LoggedPrediction => ({
    ...prediction(0, day, score),
    transactionId: reused,
    eventTimeMs: day * DAY + 3_600_000,
  });
  const frauds = (days: readonly MaturedDay[]) =>
    Object.fromEntries(days.map((d) => [`${d.day - D0}`, d.metrics.frauds]));
  /** A join holding the id's uses on days D0 and D0 + 2, and fraud reports made on the days given (from D0). */
  const usedTwice = (...reportDays: number[]): DelayedLabelJoin => {
    const join = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
    join.addPrediction(use(D0, 0.9));
    join.addPrediction(use(D0 + 2, 0.8));
    for (const day of reportDays)
      join.addLabel({ transactionId: reused, isFraud: true, reportedAtMs: (D0 + day) * DAY });
    return join;
  };

  it('does not count a report made before the transaction, held for an earlier use never scored', () => {
    const join = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
    // The earlier use was dead-lettered on day D0; its report is held until day D0 + 1 is final.
    join.addLabel({ transactionId: reused, isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    join.addPrediction(use(D0 + 1, 0.9));
    assert.deepEqual(frauds(join.advance((D0 + 10) * DAY)), { 1: 0 });
    assert.equal(join.unmatchedLabels, 1);
    assert.equal(join.heldLabels(), 0);
  });

  // The training table gives an id's labels to its first recording only (src/backfill/label-index.ts): a report
  // belongs to the earliest use made at or before it, and the later use, a new transaction, gets none.
  it('gives the earlier use every report made after it when both are held at once (the labels read ahead)', () => {
    const join = usedTwice(2.5, 0.5);
    assert.deepEqual(frauds(join.advance((D0 + 10) * DAY)), { 0: 1, 2: 0 });
    assert.equal(join.lateLabels + join.unmatchedLabels, 0);
    assert.equal(join.heldLabels(), 0);
  });

  it('counts one fraud report once, on the earlier day, when both uses were scored before it', () => {
    const join = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
    const approved = (day: number): LoggedPrediction => ({ ...use(day, 0.01), decision: 'APPROVE', amount: 250 });
    join.addPrediction(approved(D0 + 10));
    join.addPrediction(approved(D0 + 12));
    join.addLabel({ transactionId: reused, isFraud: true, reportedAtMs: (D0 + 13) * DAY });
    const days = join.advance((D0 + 20) * DAY);
    assert.deepEqual(frauds(days), { 10: 1, 12: 0 });
    assert.deepEqual(
      days.map((d) => d.metrics.fraudAmount.APPROVE),
      [250, 0],
      'the missed APPROVE amount counts once',
    );
    // Every label age of the later day reads the report the same way: never its own.
    assert.deepEqual(
      days[1]?.byLabelAge.map((age) => age.metrics.frauds),
      [0, 0, 0],
    );
    assert.equal(days[0]?.byLabelAge[horizonDays - 1]?.metrics.frauds, 1);
    assert.equal(join.lateLabels + join.unmatchedLabels, 0);
    const pooled = [...join.live().values()][0];
    assert.equal(pooled?.metrics.frauds, 1);
  });

  it('counts a report as late, not for the later use still open, once the earlier use it belongs to is final', () => {
    const join = usedTwice();
    assert.deepEqual(frauds(join.advance((D0 + 1 + horizonDays) * DAY)), { 0: 0 });
    // Made within the earlier use's horizon, delivered once its day was final (a lagging labels partition).
    join.addLabel({ transactionId: reused, isFraud: true, reportedAtMs: (D0 + 3) * DAY });
    assert.equal(join.lateLabels, 1);
    assert.deepEqual(frauds(join.advance((D0 + 10) * DAY)), { 2: 0 });
    assert.equal(join.lateLabels, 1);
    assert.equal(join.unmatchedLabels, 0);
    assert.equal(join.heldLabels(), 0);
  });

  it('counts a report after both uses’ horizons as late once, for the earlier use it belongs to', () => {
    const join = usedTwice(7);
    assert.deepEqual(frauds(join.advance((D0 + 10) * DAY)), { 0: 0, 2: 0 });
    assert.equal(join.lateLabels, 1);
    assert.equal(join.unmatchedLabels, 0);
  });

  it('gives a report made between the two uses to the earlier one', () => {
    const join = usedTwice(1);
    assert.deepEqual(frauds(join.advance((D0 + 10) * DAY)), { 0: 1, 2: 0 });
    assert.equal(join.lateLabels + join.unmatchedLabels, 0);
  });
});
