import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftMonitor } from '../../../../src/adapters/observability/drift-monitor.js';
import { createLogger } from '../../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../../src/adapters/observability/metrics.js';
import { binnedReference } from '../../../../src/core/monitoring/binning.js';
import { DriftWindow } from '../../../../src/core/monitoring/drift-window.js';
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

/** A monitor of model m@2 (with a reference for feature x): windows of up to `maxRecords`, 500 at least. */
function monitorOf(metrics: ReturnType<typeof createPipelineMetrics>, maxRecords: number): DriftMonitor {
  return new DriftMonitor({
    models: [{ name: 'm', version: '2', monitoring }],
    featureNames: ['x'],
    policy: { maxRecords, maxAgeMs: 60_000, minRecords: 500 },
    metrics,
    log: createLogger({ name: 'test', level: 'silent' }),
    clock: () => 0,
  });
}

describe('DriftMonitor', () => {
  it('publishes nothing but the window size below the minimum, then every drift gauge', async () => {
    const metrics = createPipelineMetrics('t');
    const monitor = monitorOf(metrics, 2000);
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

  it('computes the drift gauges when they are read, once per read after new batches, not per batch', async (t) => {
    const snapshot = t.mock.method(DriftWindow.prototype, 'snapshot');
    const metrics = createPipelineMetrics('t');
    const monitor = monitorOf(metrics, 20_000);
    for (let batch = 0; batch < 10; batch++) monitor.record({ modelVersion: '2', scores: sample, features: sample });
    assert.equal(snapshot.mock.callCount(), 0, 'no snapshot per batch');
    assert.deepEqual(
      (await series(metrics, 'fraudscore_drift_window_records')).map((v) => v.value),
      [10_000],
      'the window size is set per batch',
    );
    await metrics.registry.metrics();
    assert.equal(snapshot.mock.callCount(), 1, 'one snapshot for a whole scrape of the five drift gauges');
    const before = (await series(metrics, 'fraudscore_score_quantile')).find((v) => v.labels.quantile === '0.5');
    await metrics.registry.metrics();
    assert.equal(snapshot.mock.callCount(), 1, 'nothing new: nothing computed');
    assert.ok(before && Math.abs(before.value - 0.5) < 0.01, `median of the uniform sample, got ${before?.value}`);

    // A batch of high scores: the next read shows it.
    const high = sample.map((value) => 0.9 + value / 10);
    for (let batch = 0; batch < 10; batch++) monitor.record({ modelVersion: '2', scores: high, features: high });
    const after = (await series(metrics, 'fraudscore_score_quantile')).find((v) => v.labels.quantile === '0.5');
    assert.ok(after && after.value > 0.85, `median after the high batches, got ${after?.value}`);
    assert.equal(snapshot.mock.callCount(), 2);
    assert.equal(monitor.snapshots().get('2')?.status, 'ok');
    assert.equal(snapshot.mock.callCount(), 2, 'snapshots() reuses an up-to-date snapshot');
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
