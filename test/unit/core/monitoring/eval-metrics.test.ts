import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import golden from '../../../fixtures/drift/evaluation.json' with { type: 'json' };
import {
  averagePrecision,
  aucRoc,
  cardPrecisionAtK,
  evaluationMetrics,
  type LabelledPrediction,
} from '../../../../src/core/monitoring/eval-metrics.js';

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
