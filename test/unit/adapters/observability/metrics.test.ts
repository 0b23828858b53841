import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvaluatorMetrics } from '../../../../src/adapters/observability/metrics.js';
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
