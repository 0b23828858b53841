import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import golden from '../../../fixtures/drift/evaluation.json' with { type: 'json' };
import {
  averagePrecision,
  aucRoc,
  cardPrecisionAtK,
  evaluationMetrics,
  standardErrors,
  type LabelledPrediction,
} from '../../../../src/core/monitoring/eval-metrics.js';
import { aucVariance } from '../../../../src/core/monitoring/delong.js';

describe('evaluation metrics against scikit-learn and the trainer (test/fixtures/drift/evaluation.json)', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      assert.ok(Math.abs(aucRoc(c.scores, c.labels) - c.auc) <= 1e-9);
      assert.ok(Math.abs(averagePrecision(c.scores, c.labels) - c.averagePrecision) <= 1e-9);
      const rows: LabelledPrediction[] = c.scores.map((score, i) => ({
        score,
        decision: 'APPROVE',
        isFraud: c.labels[i] as boolean,
        customerId: c.customers[i] as string,
        day: c.days[i] as number,
        amount: 1,
      }));
      // The trainer rounds card precision to 6 decimals.
      assert.ok(Math.abs(cardPrecisionAtK(rows).mean - (c.cardPrecisionAt100 as number)) <= 5e-7);
    });
  }
});

describe('business metrics', () => {
  const row = (decision: LabelledPrediction['decision'], isFraud: boolean, amount: number): LabelledPrediction => ({
    score: decision === 'BLOCK' ? 0.9 : decision === 'REVIEW' ? 0.3 : 0.01,
    decision,
    isFraud,
    customerId: `c${amount}`,
    day: 0,
    amount,
  });

  it('counts recall at each threshold, alert rate, false alerts and fraud amounts by decision', () => {
    const m = evaluationMetrics([
      row('BLOCK', true, 100),
      row('REVIEW', true, 50),
      row('APPROVE', true, 20),
      row('REVIEW', false, 5),
      row('APPROVE', false, 7),
      row('APPROVE', false, 8),
    ]);
    assert.equal(m.frauds, 3);
    assert.equal(m.recallBlock, 1 / 3);
    assert.equal(m.recallReview, 2 / 3);
    assert.equal(m.alertRate, 3 / 6);
    assert.equal(m.falseAlerts, 1);
    assert.deepEqual(m.fraudAmount, { BLOCK: 100, REVIEW: 50, APPROVE: 20 });
  });

  it('ranking metrics are NaN with a single class, not a made-up number', () => {
    const m = evaluationMetrics([row('APPROVE', false, 1), row('REVIEW', false, 2)]);
    assert.ok(Number.isNaN(m.aucRoc) && Number.isNaN(m.averagePrecision) && Number.isNaN(m.recallBlock));
  });

  it('average precision is 1 when every record is a fraud (scikit-learn: precision 1 at every threshold)', () => {
    // sklearn.metrics.average_precision_score([1, 1, 1], [0.9, 0.2, 0.2]) == 1.0; roc_auc_score is undefined.
    assert.equal(averagePrecision([0.9, 0.2, 0.2], [true, true, true]), 1);
    const m = evaluationMetrics([row('BLOCK', true, 1), row('APPROVE', true, 2)]);
    assert.equal(m.averagePrecision, 1);
    assert.ok(Number.isNaN(m.aucRoc), 'AUC still needs a genuine record');
  });
});

describe('sampling errors of the live figures', () => {
  // Ties across the classes (0.8, 0.5) and within one; expected values from a brute-force DeLong in numpy:
  // psi = (pos > neg) + 0.5 (pos == neg), var = var(psi.mean(1), ddof=1)/m + var(psi.mean(0), ddof=1)/n.
  const scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
  const labels = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0].map((l) => l === 1);
  const rows = (days: readonly number[]): LabelledPrediction[] =>
    scores.map((score, i) => ({
      score,
      decision: 'APPROVE',
      isFraud: labels[i] as boolean,
      customerId: `c${i}`,
      day: days[i % days.length] as number,
      amount: 1,
    }));

  it("AUC: DeLong's variance, ties counted half", () => {
    assert.ok(Math.abs(aucRoc(scores, labels) - 0.6857142857142857) <= 1e-12);
    assert.ok(Math.abs(aucVariance(scores, labels) - 0.03153061224489796) <= 1e-12);
  });

  it("AUC: Hanley and McNeil's from the counts with a single positive, NaN with a single class", () => {
    const one = Array.from({ length: 10 }, (_, i) => i === 8);
    const tenths = Array.from({ length: 10 }, (_, i) => i / 10);
    // A = 8/9; (A(1-A) + (m-1)(Q1-A²) + (n-1)(Q2-A²)) / mn with m = 1, n = 9.
    assert.ok(Math.abs(aucVariance(tenths, one) - 0.05228758169934647) <= 1e-12);
    assert.ok(Number.isNaN(aucVariance([0.1, 0.2], [false, false])));
  });

  it("card precision@k: the days' binomial errors, independent days", () => {
    // Day 0: cards c0 (fraud), c2, c4 (fraud) -> 2/3 of 3; day 1: c1 (fraud), c3 -> 1/2 of 2.
    const five = rows([0, 1]).slice(0, 5);
    const cp = cardPrecisionAtK(five, 100);
    assert.deepEqual(
      [...cp.perDay],
      [
        [0, 2 / 3],
        [1, 1 / 2],
      ],
    );
    // sqrt(p0(1-p0)/3 + p1(1-p1)/2) / 2 (numpy)
    assert.ok(Math.abs(cp.standardError - 0.22308858894734737) <= 1e-12);
    assert.ok(Number.isNaN(cardPrecisionAtK([], 100).standardError));
  });

  it('average precision: binomial over the positives', () => {
    const all = rows([0]);
    const m = evaluationMetrics(all);
    const se = standardErrors(all, m);
    assert.equal(se.averagePrecision, Math.sqrt((m.averagePrecision * (1 - m.averagePrecision)) / 5));
    assert.equal(se.aucRoc, Math.sqrt(aucVariance(scores, labels)));
    assert.ok(Number.isNaN(standardErrors([], evaluationMetrics([])).averagePrecision));
  });
});
