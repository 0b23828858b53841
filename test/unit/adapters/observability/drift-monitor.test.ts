import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftMonitor } from '../../../../src/adapters/observability/drift-monitor.js';
import { createLogger } from '../../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../../src/adapters/observability/metrics.js';
import { binnedReference } from '../../../../src/core/monitoring/binning.js';
import type { MonitoringReference } from '../../../../src/core/monitoring/reference.js';
import { capturedOutput } from '../../../support/captured-output.js';

const sample = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);
const monitoring: MonitoringReference = {
  epsilon: 1e-4,
  features: { x: binnedReference(sample) },
  score: { bins: binnedReference(sample), sample, rows: 'test' },
};

async function series(metrics: ReturnType<typeof createPipelineMetrics>, name: string) {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  return (await metric.get()).values;
}

describe('DriftMonitor', () => {
  it('publishes nothing but the window size below the minimum, then every drift gauge', async () => {
    const metrics = createPipelineMetrics('t');
    const monitor = new DriftMonitor({
      models: [{ name: 'm', version: '2', monitoring }],
      featureNames: ['x'],
      policy: { maxRecords: 2000, maxAgeMs: 60_000, minRecords: 500 },
      metrics,
      log: createLogger({ name: 'test', level: 'silent' }),
      clock: () => 0,
    });
    const scores = sample.slice(0, 400);
    monitor.record({ modelVersion: '2', scores, features: scores });
    assert.deepEqual(
      (await series(metrics, 'fraudscore_drift_window_records')).map((v) => v.value),
      [400],
    );
    assert.equal((await series(metrics, 'fraudscore_feature_psi')).length, 0, 'insufficient data: absent');
    monitor.record({ modelVersion: '2', scores: sample, features: sample });
    const psi = await series(metrics, 'fraudscore_feature_psi');
    assert.equal(psi.length, 1);
    assert.deepEqual(psi[0]!.labels, { model_version: '2', feature: 'x' });
    assert.ok(Number.isFinite(psi[0]!.value));
    assert.equal((await series(metrics, 'fraudscore_score_quantile')).length, 4);
    assert.equal((await series(metrics, 'fraudscore_score_ks_pvalue')).length, 1);
    // Another model version's batch, without a reference, changes nothing.
    monitor.record({ modelVersion: '3', scores, features: scores });
    assert.deepEqual([...monitor.snapshots().keys()], ['2']);
  });

  it('a card without monitoring gets no drift gauges, and says so once', async () => {
    const metrics = createPipelineMetrics('t');
    const output = capturedOutput();
    const log = createLogger({ name: 'test', level: 'info', destination: output.stream });
    const monitor = new DriftMonitor({
      models: [{ name: 'm', version: '1' }],
      featureNames: ['x'],
      policy: { maxRecords: 2000, maxAgeMs: 60_000, minRecords: 500 },
      metrics,
      log,
      clock: () => 0,
    });
    monitor.record({ modelVersion: '1', scores: sample, features: sample });
    assert.equal((await series(metrics, 'fraudscore_drift_window_records')).length, 0);
    assert.equal(output.lines().filter((line) => line.includes('no monitoring section')).length, 1);
  });
});
