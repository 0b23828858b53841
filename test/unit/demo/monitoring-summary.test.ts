import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDrift, psiVerdict } from '../../../src/demo/monitoring-summary.js';

describe('demo monitoring lines', () => {
  it('prints a PSI row per feature with its reading, the score KS and the window quantiles', () => {
    const lines = formatDrift(
      'card-fraud@3',
      {
        status: 'ok',
        records: 5000,
        featurePsi: { amount: 0.02, terminal_risk_7d: 0.4 },
        scorePsi: 0.12,
        ks: { statistic: 0.031, pValue: 2.5e-4 },
        quantiles: { 0.1: 0.001, 0.5: 0.003, 0.9: 0.01, 0.99: 0.05 },
      },
      new Float64Array(),
    ).join('\n');
    assert.match(lines, /amount\s+0\.0200\s+stable/);
    assert.match(lines, /terminal_risk_7d\s+0\.4000\s+MAJOR SHIFT/);
    assert.match(lines, /score\s+0\.1200\s+moderate shift/);
    assert.match(lines, /D 0\.0310, p-value 2\.50e-4/);
    assert.match(lines, /p10 0\.0010, p50 0\.0030, p90 0\.0100, p99 0\.0500 \(numpy linear, drift window\)/);
  });

  it('says why there is no drift table for a card without references, and still gives the quantiles', () => {
    const lines = formatDrift('card-fraud@1', undefined, Float64Array.from([0.1, 0.2, 0.3, 0.4])).join('\n');
    assert.match(lines, /no monitoring section/);
    // numpy's linear p50 of 0.1..0.4 is 0.25 (the summary's nearest-rank would print 0.2): the line says which.
    assert.match(lines, /p50 0\.2500.*\(numpy linear, all scores of the run\)/);
    assert.equal(psiVerdict(0.1), 'moderate shift');
  });
});
