import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluationMetrics } from '../../../../src/core/monitoring/eval-metrics.js';
import { evaluationReportRefusal, type EvaluationReading } from '../../../../src/core/report/evaluation-refusal.js';

const DAY = 86_400_000;
const D0 = 20_454; // 2026-01-01

const reading: EvaluationReading = {
  topics: { output: 'card.scores', labels: 'card.labels' },
  scoresRead: 0,
  labelsRead: 0,
  streamTimeMs: Number.NEGATIVE_INFINITY,
  topologyFile: 'topologies/card-payments.yaml',
};

describe('evaluationReportRefusal', () => {
  it('lets a report with a final scoring day be written', () => {
    const metrics = evaluationMetrics([]);
    const matured = [
      { day: D0, model: 'card-fraud@1', modelName: 'card-fraud', modelVersion: '1', metrics, byLabelAge: [] },
    ];
    assert.equal(evaluationReportRefusal({ matured, openDays: [], horizonDays: 10 }, reading), null);
  });

  it('with no score read, says what it read from which topics and to run the worker', () => {
    assert.equal(
      evaluationReportRefusal({ matured: [], openDays: [], horizonDays: 10 }, { ...reading, labelsRead: 1 }),
      'no scoring day to evaluate: 0 score records read from card.scores and 1 label from card.labels (each read to ' +
        'its end); run the worker (fraudscore run -t topologies/card-payments.yaml) so that scores reach card.scores, ' +
        'and let their labels reach card.labels. No report written',
    );
  });

  it('with scores on days not final yet, says which days wait and when the first will be final', () => {
    const refusal = evaluationReportRefusal(
      { matured: [], openDays: [D0, D0 + 1, D0 + 2], horizonDays: 10 },
      { ...reading, scoresRead: 120, labelsRead: 4, streamTimeMs: (D0 + 2) * DAY + 3_600_000 },
    );
    assert.equal(
      refusal,
      'no scoring day is final yet: 120 score records read from card.scores and 4 labels from card.labels (each ' +
        'read to its end), on 3 scoring days (2026-01-01..2026-01-03) waiting for labels. A day is final once a ' +
        'score or label time 10 days past its end (monitoring.evaluation.horizonDays), plus 24 h for reports ' +
        'delivered late, is read: the first, 2026-01-01, at 2026-01-13T00:00:00.000Z; the latest time read is ' +
        '2026-01-03T01:00:00.000Z. Run this again ' +
        'once later scores and labels are in (fraudscore evaluate --report-dir <dir> rewrites the report as days ' +
        'become final). No report written',
    );
  });

  it('names a single waiting day once', () => {
    const refusal = evaluationReportRefusal(
      { matured: [], openDays: [D0], horizonDays: 3 },
      { ...reading, scoresRead: 1, streamTimeMs: D0 * DAY },
    );
    assert.match(refusal ?? '', /1 score record read .* on 1 scoring day \(2026-01-01\) waiting/);
  });
});
