import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { SCORE_DRIFT_KS_PVALUE } from '../../../deploy/grafana/dashboard.js';
import { DASHBOARD_FILE, dashboardJson, TOPOLOGY_FILE } from '../../../deploy/grafana/generate.js';
import { createEvaluatorMetrics } from '../../../src/adapters/observability/metrics.js';
import { loadTopology } from '../../../src/config/index.js';
import { exportedSeriesNames, seriesNamesIn } from '../../support/metric-catalog.js';

interface Panel {
  type: string;
  title: string;
  description?: string;
  targets?: { expr: string }[];
  fieldConfig?: {
    defaults?: {
      unit?: string;
      decimals?: number;
      thresholds?: { steps: { value: number | null; color: string }[] };
      custom?: { scaleDistribution?: { type: string } };
    };
  };
}
const dashboard = JSON.parse(dashboardJson()) as { panels: Panel[]; uid: string };
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const promRules = (
  parse(readFileSync('deploy/prometheus/fraudscore-rules.yml', 'utf8')) as {
    groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
  }
).groups.flatMap((g) => g.rules);
const recordingRules = new Set(promRules.flatMap((r) => (r.record ? [r.record] : [])));

/** The units of the panels whose queries name `metric` (at least one panel must). */
function unitsShowing(metric: string): (string | undefined)[] {
  const showing = panels.filter((p) => (p.targets ?? []).some((t) => t.expr.includes(metric)));
  assert.ok(showing.length > 0, `a panel shows ${metric}`);
  return showing.map((p) => p.fieldConfig?.defaults?.unit);
}

/** deploy/grafana/fraudscore.json: generated from deploy/grafana/dashboard.ts, never edited by hand. */
describe('grafana dashboard', () => {
  it('is committed exactly as the code generates it (else: npm run build && node dist/deploy/grafana/generate.js)', () => {
    assert.equal(readFileSync(DASHBOARD_FILE, 'utf8'), dashboardJson());
  });

  it('queries, in every panel, only metrics a worker or the evaluator exports and recording rules that exist', async () => {
    const exported = await exportedSeriesNames();
    assert.ok(panels.length >= 15);
    for (const panel of panels) assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    for (const { panel, expr } of queries) {
      const names = seriesNamesIn(expr);
      const rules = expr.match(/\bfraudscore:[a-z0-9_:]+/g) ?? [];
      assert.ok(names.length + rules.length > 0, `${panel}: names a metric (${expr})`);
      for (const name of names)
        assert.ok(exported.has(name), `${panel}: ${name} is exported neither by a worker nor by the evaluator`);
      for (const rule of rules) assert.ok(recordingRules.has(rule), `${panel}: no recording rule ${rule}`);
    }
  });

  it('covers the views the on-call needs', () => {
    const byType = (type: string) => panels.filter((p) => p.type === type).map((p) => p.title);
    assert.ok(
      byType('heatmap').some((t) => /PSI/.test(t)),
      'PSI per feature as a heat map',
    );
    const all = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'fraudscore_records_in_total',
      'fraudscore_consumer_lag_records',
      'fraudscore_batch_latency_ms_bucket',
      'fraudscore_records_dead_lettered_total',
      'fraudscore_feature_psi',
      'fraudscore_score_quantile',
      'fraudscore_eval_metric',
      'fraudscore_eval_fraud_amount',
      'fraudscore_rollout_percent',
      'fraudscore_kill_switch_active',
      'fraudscore_feature_replica_whole_logs_total',
    ]) {
      assert.ok(all.includes(metric), `a panel shows ${metric}`);
    }
    assert.ok(all.includes('card_precision_at_100') && all.includes('metric=~"auc'), 'live AUC and card precision');
  });

  it('shows scores as probabilities and amounts in no single currency', async () => {
    const showing = (metric: string) => panels.filter((p) => (p.targets ?? []).some((t) => t.expr.includes(metric)));
    const quantiles = showing('fraudscore_score_quantile');
    assert.ok(quantiles.length > 0);
    for (const panel of quantiles) {
      // A score of 0.039 is a probability; as a percent unit it would read 3.9 %.
      assert.doesNotMatch(panel.fieldConfig?.defaults?.unit ?? '', /percent/, panel.title);
      assert.ok((panel.fieldConfig?.defaults?.decimals ?? 0) >= 3, `${panel.title}: decimals enough for p10 near 0`);
    }
    // The amounts of every currency the transactions came in are summed: the gauge has no currency label to split by.
    const { evalFraudAmount } = createEvaluatorMetrics('t');
    evalFraudAmount.set({ model_version: 'm@1', decision: 'BLOCK' }, 1);
    const [series] = (await evalFraudAmount.get()).values;
    assert.ok(series && !('currency' in series.labels), 'a currency label: split the panel by it instead');
    const amounts = showing('fraudscore_eval_fraud_amount');
    assert.ok(amounts.length > 0);
    for (const panel of amounts) {
      assert.doesNotMatch(panel.fieldConfig?.defaults?.unit ?? '', /^currency/, panel.title);
      assert.match(panel.description ?? '', /each transaction's currency, summed/, panel.title);
    }
  });

  it('shows each value on the scale it is exported in: 0..1 ratios, the 0..100 rollout share, ms, bytes', () => {
    // AUC, average precision, card precision@100 are in [0, 1] (src/core/monitoring/eval-metrics.ts): Grafana's
    // `percent` takes its value as already ×100 and would read an AUC of 0.93 as 0.93 %.
    for (const unit of unitsShowing('fraudscore_eval_metric{')) assert.equal(unit, 'percentunit');
    // The rollout share is 0..100 (src/core/control/serving-state.ts).
    for (const unit of unitsShowing('fraudscore_rollout_percent')) assert.equal(unit, 'percent');
    for (const unit of unitsShowing('_latency_ms_bucket')) assert.equal(unit, 'ms');
    for (const unit of unitsShowing('fraudscore_feature_replica_bytes')) assert.equal(unit, 'bytes');
  });

  it('says what a rate counts: records/s for records, and req/s nowhere (fraudscore serves no requests)', () => {
    // Grafana's custom `count:<suffix>` scales like `reqps` and adds the space before the suffix itself.
    for (const metric of [
      'fraudscore_records_in_total',
      'fraudscore_records_scored_total',
      'fraudscore_records_dead_lettered_total',
      'fraudscore_records_decided_total',
    ]) {
      for (const unit of unitsShowing(metric)) assert.equal(unit, 'count:records/s', metric);
    }
    for (const panel of panels) {
      const unit = panel.fieldConfig?.defaults?.unit ?? '';
      assert.notEqual(unit, 'reqps', panel.title);
      assert.doesNotMatch(unit, /^(count|suffix):\s/, `${panel.title}: Grafana adds the space itself`);
    }
  });

  it('says what the evaluation gauges hold: the latest final days pooled, not a figure per day', () => {
    const windowDays = loadTopology(TOPOLOGY_FILE, {}).monitoring.evaluation.windowDays;
    for (const panel of panels.filter((p) => (p.targets ?? []).some((t) => t.expr.includes('fraudscore_eval_')))) {
      const text = `${panel.title} ${panel.description ?? ''}`;
      assert.doesNotMatch(text, /\bper (model version and )?day\b|\bdaily\b/, panel.title);
      if (/fraud_amount|eval_metric/.test((panel.targets ?? []).map((t) => t.expr).join()))
        assert.match(text, new RegExp(`latest ${windowDays} final scoring days pooled`), panel.title);
    }
  });

  it('reads the drift window as filled against its exported minRecords, not at its first record', async () => {
    assert.ok((await exportedSeriesNames()).has('fraudscore_drift_window_min_records'));
    const filled = queries.filter((q) => q.expr.includes('fraudscore_drift_window_records'));
    assert.ok(filled.length > 0, 'a panel shows whether the window is filled');
    for (const { panel, expr } of filled) {
      assert.doesNotMatch(expr, />\s*bool\s+0\b/, `${panel}: any record is not a filled window`);
      assert.match(expr, /fraudscore_drift_window_records\{[^}]*\}\s*>=\s*bool\b.*fraudscore_drift_window_min_records/);
    }
  });

  it("plots the KS p-value FraudscoreScoreDrift fires on, with the alert's threshold", () => {
    const alert = promRules.find((r) => r.alert === 'FraudscoreScoreDrift');
    const threshold = /fraudscore_score_ks_pvalue\s*<\s*([0-9.e-]+)/.exec(alert?.expr ?? '')?.[1];
    assert.equal(Number(threshold), SCORE_DRIFT_KS_PVALUE, 'the dashboard and the alert rule agree');
    const showing = panels.filter((p) => (p.targets ?? []).some((t) => t.expr.includes('fraudscore_score_ks_pvalue')));
    assert.equal(showing.length, 1);
    const defaults = showing[0]!.fieldConfig?.defaults;
    assert.deepEqual(
      defaults?.thresholds?.steps.map((s) => s.value),
      [null, SCORE_DRIFT_KS_PVALUE],
    );
    assert.equal(defaults?.thresholds?.steps[0]?.color, 'red', 'below the threshold is the alarming side');
    assert.equal(defaults?.custom?.scaleDistribution?.type, 'log');
  });

  it('has queries Prometheus parses (promtool, with the dashboard variables filled in)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudscore-dashboard-'));
    try {
      const file = join(dir, 'queries.yml');
      const rules = queries.map((q, i) => ({
        record: `dashboard:query_${i}`,
        expr: q.expr.replaceAll('$__rate_interval', '5m').replaceAll('$topology', 'card-payments'),
      }));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      execFileSync('promtool', ['check', 'rules', file], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
