/**
 * Drift in a real worker (Kafka, registry, Redis, ONNX): after each committed batch the drift gauges describe the
 * rolling window of what the worker scored -- computed here again from the logged features and scores read back from
 * the output topic, they must agree. Below the window's minimum: no drift series at all ("insufficient data").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Topology } from '../../../src/config/index.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { binCounts } from '../../../src/core/monitoring/binning.js';
import { ksPValue, ksStatistic } from '../../../src/core/monitoring/ks.js';
import { psi } from '../../../src/core/monitoring/psi.js';
import type { MonitoringReference } from '../../../src/core/monitoring/reference.js';
import { FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { validEvents } from '../../support/events.js';
import { MONITORED_VERSION, monitoredRegistry } from '../../support/monitored-model.js';
import {
  deleteTopics,
  readCommitted,
  testProducer,
  testTopology,
  type ReadRecord,
  type TestProducer,
} from '../../support/stack.js';

const MIN_RECORDS = 300;

async function gauge(pipeline: PipelineContext, name: string) {
  const metric = pipeline.metrics.registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  return (await metric.get()).values;
}

async function windowRecords(pipeline: PipelineContext, expected: number): Promise<void> {
  // The gauges are set right after the commit that makes the outputs readable: wait for them to catch up.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const values = await gauge(pipeline, 'fraudscore_drift_window_records');
    if (values[0]?.value === expected) return;
    if (Date.now() > deadline) assert.fail(`window holds ${values[0]?.value}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('drift gauges in a running worker', () => {
  const isolated = testTopology({ maxRecords: 100, maxWaitMs: 200 });
  let topology: Topology;
  let monitoring: MonitoringReference;
  let pipeline: PipelineContext;
  let producer: TestProducer;

  before(async () => {
    const made = await monitoredRegistry();
    monitoring = made.monitoring;
    topology = {
      ...isolated.topology,
      model: { registry: made.registry, name: 'card-fraud', version: MONITORED_VERSION },
      monitoring: {
        ...isolated.topology.monitoring,
        drift: { windowRecords: 5000, windowMs: 3_600_000, minRecords: MIN_RECORDS },
      },
    };
    pipeline = await createPipeline({ topology, instanceId: 'drift', log: createLogger({ name: 't', level: 'warn' }) });
    void pipeline.runner.start();
    producer = await testProducer(topology);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(isolated.topics);
  });

  const send = async (events: ReturnType<typeof validEvents>) =>
    producer.send(
      topology.topics.input,
      events.map((e) => ({ key: e.customer_id, value: producer.serde.encode(producer.transactionSchemaId, e) })),
    );
  const outputs = (n: number) => readCommitted([topology.topics.output], (r) => r.length >= n, 60_000);

  it('below the minimum window: the window size only, no drift figure', async () => {
    await send(validEvents(200, 'd1'));
    await outputs(200);
    await windowRecords(pipeline, 200);
    assert.equal((await gauge(pipeline, 'fraudscore_feature_psi')).length, 0);
    assert.equal((await gauge(pipeline, 'fraudscore_score_ks_pvalue')).length, 0);
    assert.equal((await gauge(pipeline, 'fraudscore_score_quantile')).length, 0);
  });

  it('past it: PSI per feature, score PSI, KS and quantiles of exactly what was scored', async () => {
    await send(validEvents(400, 'd2', Date.UTC(2026, 0, 20)));
    const scored: ReadRecord[] = await outputs(600);
    await windowRecords(pipeline, 600);
    assert.ok(scored.every((r) => r.value['model_version'] === MONITORED_VERSION));

    const psiSeries = await gauge(pipeline, 'fraudscore_feature_psi');
    // The weekday and the hour are not drift-tracked: a window of minutes holds one of each, unlike the reference.
    const calendar = ['tx_during_weekend', 'tx_during_night'];
    const tracked = FEATURE_SCHEMA.names.filter((name) => !calendar.includes(name));
    assert.equal(tracked.length, FEATURE_SCHEMA.names.length - calendar.length);
    assert.deepEqual(psiSeries.map((v) => v.labels['feature']).sort(), [...tracked].sort(), 'one series per feature');
    for (const name of tracked) {
      const logged = scored.map((r) => (r.value['features'] as Record<string, number>)[name] as number);
      const ref = monitoring.features[name]!;
      const expected = psi(ref.shares, binCounts(ref.edges, logged), monitoring.epsilon);
      const series = psiSeries.find((v) => v.labels['feature'] === name);
      assert.ok(series, `PSI of ${name}`);
      assert.equal(series.labels['model_version'], MONITORED_VERSION);
      assert.ok(Math.abs(series.value - expected) <= 1e-9, `${name}: ${series.value} vs ${expected}`);
    }
    const scores = Float64Array.from(scored.map((r) => r.value['score'] as number)).sort();
    const bins = monitoring.score.bins;
    const scorePsi = (await gauge(pipeline, 'fraudscore_score_psi'))[0]!.value;
    assert.ok(Math.abs(scorePsi - psi(bins.shares, binCounts(bins.edges, scores), monitoring.epsilon)) <= 1e-9);
    const d = ksStatistic(scores, monitoring.score.sample);
    assert.equal((await gauge(pipeline, 'fraudscore_score_ks_statistic'))[0]!.value, d);
    assert.equal((await gauge(pipeline, 'fraudscore_score_ks_pvalue'))[0]!.value, ksPValue(d, 600, 2000));
    const quantiles = await gauge(pipeline, 'fraudscore_score_quantile');
    assert.deepEqual(quantiles.map((q) => q.labels['quantile']).sort(), ['0.1', '0.5', '0.9', '0.99']);
    assert.ok(quantiles.every((q) => q.value >= scores[0]! && q.value <= scores[scores.length - 1]!));
  });
});
