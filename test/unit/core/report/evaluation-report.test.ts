import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluationMetrics } from '../../../../src/core/monitoring/eval-metrics.js';
import { compareWithExpectation } from '../../../../src/core/monitoring/expectations.js';
import {
  renderEvaluationHtml,
  renderEvaluationMarkdown,
  type EvaluationReportInput,
} from '../../../../src/core/report/evaluation-report.js';

const metrics = evaluationMetrics([
  { score: 0.9, decision: 'BLOCK', isFraud: true, customerId: 'a', day: 20000, amount: 100 },
  { score: 0.1, decision: 'APPROVE', isFraud: false, customerId: 'b', day: 20000, amount: 5 },
  { score: 0.3, decision: 'REVIEW', isFraud: false, customerId: 'c', day: 20000, amount: 7 },
]);
const input: EvaluationReportInput = {
  title: 'evaluation <test>',
  generatedAt: '2026-01-01T00:00:00.000Z',
  horizonDays: 10,
  matured: [20000, 20001].map((day) => ({
    day,
    model: 'card-fraud@1',
    modelName: 'card-fraud',
    modelVersion: '1',
    metrics,
    byLabelAge: [1, 2].map((ageDays) => ({ ageDays, metrics })),
  })),
  openDays: [20002],
  offlineOnline: [
    {
      model: 'card-fraud@1',
      days: [20000, 20001],
      labelled: 6,
      comparisons: [
        compareWithExpectation('auc', { value: 0.7, standardError: 0.02 }, { value: 0.85, lower: 0.8, upper: 0.9 }),
        compareWithExpectation('average_precision', { value: 0.5, standardError: 0.05 }, undefined),
      ],
    },
  ],
};

describe('evaluation report', () => {
  it('Markdown: one row per final day and model, and the offline-online verdicts', () => {
    const md = renderEvaluationMarkdown(input);
    assert.match(md, /\| 2024-10-04 \| card-fraud@1 \| 3 \| 1 \| 1\.000 \|/);
    // z = (0.7 - 0.85) / sqrt((0.1 / 3.92)² + 0.02²) = -4.6
    assert.match(
      md,
      /0\.700 vs held-out 0\.850 \[0\.800, 0\.900\]: z -4\.6 \(SE live 0\.020, held-out 0\.026\), MISMATCH \(below\)/,
    );
    assert.match(md, /the card has no held-out interval/);
  });

  it('HTML: self-contained (no script, no external URL), escaped, with a chart per metric by day and by age', () => {
    const html = renderEvaluationHtml(input);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    assert.match(html, /evaluation &lt;test&gt;/);
    assert.match(html, /<td>card-fraud@1<\/td>/, 'models are named name@version');
    assert.match(html, /<title>held-out interval of card-fraud@1<\/title>/, 'the band says whose card it is');
    assert.equal(html.match(/<svg /g)?.length, 12);
    assert.ok((html.match(/<path /g)?.length ?? 0) >= 12, 'every chart draws a line');
  });
});
