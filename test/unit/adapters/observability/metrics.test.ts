import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createEvaluatorMetrics,
  createPipelineMetrics,
  NEWEST_TAKEN_CLOCK_SLACK_MS,
} from '../../../../src/adapters/observability/metrics.js';
import { evaluatorSeriesNames, workerSeriesNames } from '../../../support/metric-catalog.js';

/** Names of the series in a Prometheus text exposition (what a scrape stores). */
function scrapedNames(text: string): Set<string> {
  const names = text
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '');
  return new Set(names);
}

describe('metric catalog: a worker and the evaluator export sets of their own', () => {
  it('no name is in both, and every evaluator name says so (fraudscore_eval_)', async () => {
    const worker = await workerSeriesNames();
    const evaluator = await evaluatorSeriesNames();
    assert.deepEqual(
      [...evaluator].filter((name) => worker.has(name)),
      [],
    );
    assert.deepEqual(
      [...evaluator].filter((name) => !name.startsWith('fraudscore_eval_')),
      [],
    );
    for (const name of ['fraudscore_eval_metric', 'fraudscore_eval_offline_online_mismatch']) {
      assert.ok(evaluator.has(name), `the evaluator exports ${name} (the rules and the dashboard read it)`);
    }
  });

  it("an evaluator's scrape holds no worker series: no control version 0 for the worker rules to compare", async () => {
    const metrics = createEvaluatorMetrics('t');
    metrics.evalOpenDays.set(3);
    metrics.consumerLag.set({ topic: 'payments.scores', partition: '0' }, 10);
    const scraped = scrapedNames(await metrics.registry.metrics());
    const worker = await workerSeriesNames();
    assert.ok(scraped.has('fraudscore_eval_open_days'), [...scraped].join());
    assert.deepEqual(
      [...scraped].filter((name) => worker.has(name)),
      [],
    );
    assert.ok(!scraped.has('fraudscore_control_applied_version'));
  });
});

describe('fraudscore_ready', () => {
  it('reads at each scrape what the worker says of its readiness; 0 until it says', async () => {
    const metrics = createPipelineMetrics('t');
    const scrape = async (): Promise<string> => await metrics.registry.metrics();
    assert.match(await scrape(), /^fraudscore_ready\{topology="t"\} 0$/m);
    let ready = true;
    metrics.onReadinessRead(() => ready);
    assert.match(await scrape(), /^fraudscore_ready\{topology="t"\} 1$/m);
    ready = false;
    assert.match(await scrape(), /^fraudscore_ready\{topology="t"\} 0$/m);
  });
});

describe('takeNewest: fraudscore_newest_taken_time_seconds', () => {
  const HOUR_MS = 3_600_000;
  const NOW = Date.UTC(2026, 11, 7, 12);
  async function newestTaken(metrics: ReturnType<typeof createPipelineMetrics>): Promise<Record<string, number>> {
    const { values } = await metrics.newestTaken.get();
    return Object.fromEntries(values.map(({ labels, value }) => [String(labels['stream']), value]));
  }

  it("holds a time to the slack ahead of the worker's clock: it would pin the gauge up there, or hide a batch", async () => {
    const metrics = createPipelineMetrics('t');
    metrics.takeNewest('transactions', NOW - HOUR_MS, NOW);
    assert.deepEqual(await newestTaken(metrics), { transactions: (NOW - HOUR_MS) / 1000 });
    // Accepted by the contract (24 h), and the newest of its batch: the batch's progress counts, held to the slack.
    metrics.takeNewest('transactions', NOW + 20 * HOUR_MS, NOW);
    metrics.takeNewest('labels', NOW * 1000, NOW);
    assert.deepEqual(await newestTaken(metrics), {
      transactions: (NOW + NEWEST_TAKEN_CLOCK_SLACK_MS) / 1000,
      labels: (NOW + NEWEST_TAKEN_CLOCK_SLACK_MS) / 1000,
    });
    // Not pinned: an hour on, the stream's ordinary times move the gauge again.
    metrics.takeNewest('transactions', NOW + HOUR_MS, NOW + HOUR_MS);
    metrics.takeNewest('labels', NOW + HOUR_MS - 1_000, NOW + HOUR_MS);
    assert.deepEqual(await newestTaken(metrics), {
      transactions: (NOW + HOUR_MS) / 1000,
      labels: (NOW + HOUR_MS - 1_000) / 1000,
    });
    // Nor moved back by an older batch.
    metrics.takeNewest('transactions', NOW, NOW + HOUR_MS);
    assert.equal((await newestTaken(metrics))['transactions'], (NOW + HOUR_MS) / 1000);
  });
});

describe('counters the alert rules read with rate() or increase()', () => {
  /** Each labelled series of a counter and its value, as the first scrape after the start would store it. */
  async function seriesAtStart(counter: { get(): Promise<{ values: { labels: object; value: number }[] }> }) {
    const { values } = await counter.get();
    return Object.fromEntries(values.map(({ labels, value }) => [Object.values(labels).join(), value]));
  }

  it('exist at 0 from the start: a series born at its first increment shows no increase (alerts stay silent)', async () => {
    const metrics = createPipelineMetrics('t');
    // FraudscoreFeatureStateLost: one finding at assignment, on a partition with nothing waiting, is all there is.
    assert.deepEqual(await seriesAtStart(metrics.featureStateBehind), { assignment: 0, batch: 0 });
    // FraudscoreFallbackScores reads the model-output codes; the others are of the same closed vocabulary.
    const codes = await seriesAtStart(metrics.reasonCodes);
    assert.equal(codes['MODEL_OUTPUT_NON_FINITE'], 0);
    assert.equal(codes['MODEL_OUTPUT_OUT_OF_RANGE'], 0);
    // The availability ratio's denominator, per close reason.
    assert.deepEqual(await seriesAtStart(metrics.batches), {
      size: 0,
      time: 0,
      drained: 0,
      shutdown: 0,
      rebalance: 0,
    });
  });
});
