import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DriftMonitor,
  type DriftBatch,
  type ServedModelReference,
} from '../../../../src/adapters/observability/drift-monitor.js';
import { createLogger } from '../../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../../src/adapters/observability/metrics.js';
import { binnedReference } from '../../../../src/core/monitoring/binning.js';
import { DriftWindow } from '../../../../src/core/monitoring/drift-window.js';
import { formatModelRef } from '../../../../src/core/models/ref.js';
import type { MonitoringReference } from '../../../../src/core/monitoring/reference.js';
import { capturedOutput } from '../../../support/captured-output.js';

const sample = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);
const monitoring: MonitoringReference = {
  epsilon: 1e-4,
  features: { x: binnedReference(sample) },
  score: { bins: binnedReference(sample), sample, rows: 'test' },
};

/**
 * A batch decided wholly by `model`, whose one feature x equals the score (as in the card's reference), scored with
 * a plan that lets `deciding` decide (`model` alone unless told).
 */
function decidedBy(
  model: ServedModelReference,
  scores: readonly number[],
  deciding: readonly ServedModelReference[] = [model],
): DriftBatch {
  return { scores, features: scores, deciders: [{ model }], deciding: deciding.map(formatModelRef) };
}

async function series(metrics: ReturnType<typeof createPipelineMetrics>, name: string) {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  return (await metric.get()).values;
}

const m2: ServedModelReference = { name: 'm', version: '2', monitoring };

/**
 * A monitor started with `model` (m@2 unless told; with a reference for feature x): windows of up to `maxRecords`,
 * 500 at least, a minute long by `clock`.
 */
function monitorOf(
  metrics: ReturnType<typeof createPipelineMetrics>,
  maxRecords: number,
  { model = m2, clock = () => 0 }: { model?: ServedModelReference; clock?: () => number } = {},
): DriftMonitor {
  return new DriftMonitor({
    models: [model],
    featureNames: ['x'],
    policy: { maxRecords, maxAgeMs: 60_000, minRecords: 500 },
    metrics,
    log: createLogger({ name: 'test', level: 'silent' }),
    clock,
  });
}

/** What a window below its minimum publishes: its size and, beside it, the minimum (the dashboard compares them). */
const WINDOW_SIZE = ['fraudscore_drift_window_min_records', 'fraudscore_drift_window_records'];

const DRIFT_SERIES = [
  ...WINDOW_SIZE,
  'fraudscore_feature_psi',
  'fraudscore_score_ks_pvalue',
  'fraudscore_score_ks_statistic',
  'fraudscore_score_psi',
  'fraudscore_score_quantile',
];

/** From the registry's metrics text (a scrape): by `model_version`, the drift metrics that have a series of it. */
async function versionsIn(metrics: ReturnType<typeof createPipelineMetrics>): Promise<Record<string, string[]>> {
  const found: Record<string, Set<string>> = {};
  for (const line of (await metrics.registry.metrics()).split('\n')) {
    const series = /^(fraudscore_(?:drift|feature|score)_\w+)\{.*model_version="([^"]+)"/.exec(line);
    if (series) (found[series[2]!] ??= new Set()).add(series[1]!);
  }
  return Object.fromEntries(Object.entries(found).map(([version, names]) => [version, [...names].sort()]));
}

describe('DriftMonitor', () => {
  it('publishes nothing but the window size below the minimum, then every drift gauge', async () => {
    const metrics = createPipelineMetrics('t');
    const monitor = monitorOf(metrics, 2000);
    const scores = sample.slice(0, 400);
    monitor.record(decidedBy(m2, scores));
    assert.deepEqual(
      (await series(metrics, 'fraudscore_drift_window_records')).map((v) => v.value),
      [400],
    );
    assert.deepEqual(
      (await series(metrics, 'fraudscore_drift_window_min_records')).map((v) => [v.labels, v.value]),
      [[{ model_version: '2' }, 500]],
      "the topology's minRecords beside the size: filled is size >= minimum, not size > 0",
    );
    assert.equal((await series(metrics, 'fraudscore_feature_psi')).length, 0, 'insufficient data: absent');
    monitor.record(decidedBy(m2, sample));
    const psi = await series(metrics, 'fraudscore_feature_psi');
    assert.equal(psi.length, 1);
    assert.deepEqual(psi[0]!.labels, { model_version: '2', feature: 'x' });
    assert.ok(Number.isFinite(psi[0]!.value));
    assert.equal((await series(metrics, 'fraudscore_score_quantile')).length, 4);
    assert.equal((await series(metrics, 'fraudscore_score_ks_pvalue')).length, 1);
    // A batch of another model deciding beside it (a rollout's challenger), without a reference, changes nothing.
    const m3 = { name: 'm', version: '3' };
    monitor.record(decidedBy(m3, scores, [m2, m3]));
    assert.deepEqual([...monitor.snapshots().keys()], ['m@2']);
  });

  it('computes the drift gauges when they are read, once per read after new batches, not per batch', async (t) => {
    const snapshot = t.mock.method(DriftWindow.prototype, 'snapshot');
    const metrics = createPipelineMetrics('t');
    const monitor = monitorOf(metrics, 20_000);
    for (let batch = 0; batch < 10; batch++) monitor.record(decidedBy(m2, sample));
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
    for (let batch = 0; batch < 10; batch++) monitor.record(decidedBy(m2, high));
    const after = (await series(metrics, 'fraudscore_score_quantile')).find((v) => v.labels.quantile === '0.5');
    assert.ok(after && after.value > 0.85, `median after the high batches, got ${after?.value}`);
    assert.equal(snapshot.mock.callCount(), 2);
    assert.equal(monitor.snapshots().get('m@2')?.status, 'ok');
    assert.equal(snapshot.mock.callCount(), 2, 'snapshots() reuses an up-to-date snapshot');
  });

  it('never tracks the calendar features (weekday, hour of the event time), though the card has their reference', async () => {
    const metrics = createPipelineMetrics('t');
    const output = capturedOutput();
    const log = createLogger({ name: 'test', level: 'info', destination: output.stream });
    // A window of weekday daytime traffic against a reference that mixes all days and hours: the PSI of the two
    // calendar features would be over 1 (always 0 here, 30 % and 25 % ones in the reference).
    const mixed = (share: number) => binnedReference(sample.map((v) => (v < share ? 1 : 0)));
    const card: ServedModelReference = {
      name: 'm',
      version: '5',
      monitoring: {
        ...monitoring,
        features: { amount: monitoring.features['x']!, tx_during_weekend: mixed(0.3), tx_during_night: mixed(0.25) },
      },
    };
    const monitor = new DriftMonitor({
      models: [card],
      featureNames: ['amount', 'tx_during_weekend', 'tx_during_night'],
      policy: { maxRecords: 2000, maxAgeMs: 60_000, minRecords: 500 },
      metrics,
      log,
      clock: () => 0,
    });
    monitor.record({
      scores: sample,
      features: sample.flatMap((v) => [v, 0, 0]),
      deciders: [{ model: card }],
      deciding: ['m@5'],
    });
    const psi = await series(metrics, 'fraudscore_feature_psi');
    assert.deepEqual(
      psi.map((v) => v.labels.feature),
      ['amount'],
    );
    const snapshot = monitor.snapshots().get('m@5');
    assert.ok(snapshot?.status === 'ok');
    assert.deepEqual(Object.keys(snapshot.featurePsi), ['amount']);
    assert.ok(!output.text().includes('no drift reference'), 'a calendar feature is left out on purpose, not missing');
  });

  it('a card without monitoring gets no drift gauges, and says so once', async () => {
    const metrics = createPipelineMetrics('t');
    const output = capturedOutput();
    const log = createLogger({ name: 'test', level: 'info', destination: output.stream });
    const m1 = { name: 'm', version: '1' };
    const monitor = new DriftMonitor({
      models: [m1],
      featureNames: ['x'],
      policy: { maxRecords: 2000, maxAgeMs: 60_000, minRecords: 500 },
      metrics,
      log,
      clock: () => 0,
    });
    monitor.record(decidedBy(m1, sample));
    monitor.record(decidedBy(m1, sample));
    assert.equal((await series(metrics, 'fraudscore_drift_window_records')).length, 0);
    assert.equal((await series(metrics, 'fraudscore_drift_window_min_records')).length, 0);
    assert.equal(output.lines().filter((line) => line.includes('no monitoring section')).length, 1);
    // One that starts deciding later (promoted, say) is reported when it first decides, and only then.
    monitor.record(decidedBy({ name: 'm', version: '4' }, sample));
    monitor.record(decidedBy({ name: 'm', version: '4' }, sample));
    assert.equal((await series(metrics, 'fraudscore_drift_window_records')).length, 0);
    assert.equal(output.lines().filter((line) => line.includes('no monitoring section')).length, 2);
  });

  it("follows a promotion: the new decider gets its own window and series, the old one's are removed", async () => {
    const metrics = createPipelineMetrics('t');
    const a1: ServedModelReference = { name: 'a', version: '1', monitoring };
    const b2: ServedModelReference = { name: 'b', version: '2', monitoring };
    const monitor = monitorOf(metrics, 2000, { model: a1 });
    monitor.record(decidedBy(a1, sample));
    assert.deepEqual(await versionsIn(metrics), { '1': DRIFT_SERIES });

    // The control topic promotes b@2: from the next batch on it decides.
    monitor.record(decidedBy(b2, sample.slice(0, 400)));
    assert.deepEqual(
      await versionsIn(metrics),
      { '2': WINDOW_SIZE },
      "a@1's series are gone at once; b@2's window is below its minimum: its size alone",
    );
    monitor.record(decidedBy(b2, sample.slice(400, 600)));
    assert.deepEqual(
      await versionsIn(metrics),
      { '2': DRIFT_SERIES },
      "b@2's series appear once its window is full enough",
    );
    assert.deepEqual([...monitor.snapshots().keys()], ['b@2'], "a@1's window is dropped");
    assert.equal(monitor.snapshots().get('b@2')?.records, 600);
  });

  it('keeps both windows in a rollout, also through a batch routed to the challenger not at all', async () => {
    const metrics = createPipelineMetrics('t');
    const c3: ServedModelReference = { name: 'm', version: '3', monitoring };
    const monitor = monitorOf(metrics, 2000);
    monitor.record(decidedBy(m2, sample, [m2, c3]));
    monitor.record(decidedBy(c3, sample, [m2, c3]));
    monitor.record(decidedBy(m2, sample, [m2, c3]));
    assert.deepEqual(await versionsIn(metrics), { '2': DRIFT_SERIES, '3': DRIFT_SERIES });
    assert.equal(monitor.snapshots().get('m@2')?.records, 2000);
    assert.equal(monitor.snapshots().get('m@3')?.records, 1000);

    // Rolled back: the challenger no longer decides.
    monitor.record(decidedBy(m2, sample, [m2]));
    assert.deepEqual(await versionsIn(metrics), { '2': DRIFT_SERIES });
  });

  it("serves the kill switch's target while on; off drops its series and the champion starts a new window", async () => {
    const metrics = createPipelineMetrics('t');
    const target: ServedModelReference = { name: 'm', version: '1', monitoring };
    const monitor = monitorOf(metrics, 2000);
    monitor.record(decidedBy(m2, sample));
    monitor.record(decidedBy(target, sample));
    assert.deepEqual(await versionsIn(metrics), { '1': DRIFT_SERIES }, 'the target decides while killed');
    monitor.record(decidedBy(m2, sample.slice(0, 400)));
    assert.deepEqual(await versionsIn(metrics), { '2': WINDOW_SIZE });
    assert.equal(monitor.snapshots().get('m@2')?.records, 400, 'a new window, not the one before the kill');
  });

  it('drops the series of a model that decided nothing for the window time span, when they are read', async () => {
    const metrics = createPipelineMetrics('t');
    let now = 0;
    const monitor = monitorOf(metrics, 2000, { clock: () => now });
    monitor.record(decidedBy(m2, sample));
    now = 60_000;
    assert.deepEqual(await versionsIn(metrics), { '2': DRIFT_SERIES }, 'records of the window time span still count');
    now = 60_001;
    assert.deepEqual(await versionsIn(metrics), {});
    assert.equal(monitor.snapshots().size, 0);
    monitor.record(decidedBy(m2, sample));
    assert.deepEqual(await versionsIn(metrics), { '2': DRIFT_SERIES }, 'deciding again starts a new window');
  });

  it('keeps models of different names with the same version apart', async () => {
    const metrics = createPipelineMetrics('t');
    const n2: ServedModelReference = { name: 'n', version: '2', monitoring };
    const monitor = monitorOf(metrics, 2000);
    const high = sample.map((value) => 0.9 + value / 10);
    monitor.record(decidedBy(m2, sample, [m2, n2]));
    monitor.record(decidedBy(n2, high, [m2, n2]));
    const snapshots = monitor.snapshots();
    assert.deepEqual([...snapshots.keys()].sort(), ['m@2', 'n@2']);
    const m = snapshots.get('m@2');
    const n = snapshots.get('n@2');
    assert.ok(m?.status === 'ok' && n?.status === 'ok');
    assert.equal(m.records, 1000, "n@2's records are not in m@2's window");
    assert.ok(Math.abs(m.quantiles[0.5] - 0.5) < 0.01, `m@2's median is its own, got ${m.quantiles[0.5]}`);
    assert.ok(n.quantiles[0.5] > 0.9, `n@2's median is its own, got ${n.quantiles[0.5]}`);

    // n@2 leaves with a batch m@2 decided nothing of (labels only): the series m@2 publishes too stay.
    monitor.record({ scores: [], features: [], deciders: [], deciding: ['m@2'] });
    assert.deepEqual(await versionsIn(metrics), { '2': DRIFT_SERIES });
    assert.deepEqual([...monitor.snapshots().keys()], ['m@2']);
  });
});
