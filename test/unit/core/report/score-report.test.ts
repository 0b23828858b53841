import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport, formatReport, quantile, type LabelledScore } from '../../../../src/core/report/score-report.js';

function reportOf(scores: readonly LabelledScore[]) {
  const report = buildReport({
    batches: [{ size: scores.length, closeReason: 'size', latencyMs: 10 }],
    deadLetterReasons: {},
    scores,
    wallSeconds: 1,
    processedRecords: scores.length,
  });
  return { report, text: formatReport(report, 'test') };
}

describe('demo summary', () => {
  it('prints precision and recall as n/a when nothing was flagged and no fraud was labelled, not 0.0 %', () => {
    const { report, text } = reportOf([
      { score: 0.01, decision: 'APPROVE', isFraud: false },
      { score: 0.02, decision: 'APPROVE', isFraud: false },
    ]);
    assert.ok(Number.isNaN(report.precisionOfFlags) && Number.isNaN(report.recallOfFlags));
    assert.match(text, /fraud caught {5}0\/0 flagged \(n\/a recall\), 0 blocked; 0 false alerts \(precision n\/a\)/);
    assert.match(text, /ROC AUC {10}n\/a on the labelled scores/);
  });

  it('prints the fraud share as n/a with no labelled record', () => {
    const { text } = reportOf([{ score: 0.5, decision: 'REVIEW', isFraud: undefined }]);
    assert.match(text, /ground truth {5}0 labelled, 0 frauds \(n\/a\)/);
  });

  it('prints the measured ratios when they are defined', () => {
    const { text } = reportOf([
      { score: 0.9, decision: 'BLOCK', isFraud: true },
      { score: 0.2, decision: 'APPROVE', isFraud: true },
      { score: 0.6, decision: 'REVIEW', isFraud: false },
      { score: 0.1, decision: 'APPROVE', isFraud: false },
    ]);
    assert.match(text, /ground truth {5}4 labelled, 2 frauds \(50\.0%\)/);
    assert.match(text, /1\/2 flagged \(50\.0% recall\), 1 blocked; 1 false alerts \(precision 50\.0%\)/);
    assert.match(text, /ROC AUC {10}0\.750 on the labelled scores/);
  });

  it('names its quantile definition, nearest-rank, where it prints latency and score quantiles', () => {
    // Nearest-rank takes the ceil(q * n)-th smallest: p50 of 0.1..0.4 is 0.2, where numpy's linear gives 0.25.
    assert.equal(quantile([0.1, 0.2, 0.3, 0.4], 0.5), 0.2);
    assert.equal(quantile([0.1, 0.2, 0.3, 0.4], 0.99), 0.4);
    const { text } = reportOf([0.1, 0.2, 0.3, 0.4].map((score) => ({ score, decision: 'APPROVE', isFraud: false })));
    assert.match(text, /batch latency {4}p50 10\.0 ms, p99 10\.0 ms \(nearest-rank; closed -> committed\)/);
    assert.match(text, /score quantiles {2}p50 0\.2000, .* \(nearest-rank, all scores of the run\)/);
  });
});
