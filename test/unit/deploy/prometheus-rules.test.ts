import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadTopology } from '../../../src/config/index.js';
import { DeadLetterReason, ScoreReasonCode } from '../../../src/core/contract/reasons.js';
import { DECISIONS } from '../../../src/core/scoring/decide.js';
import { batchLatencyBuckets, exportedSeriesNames, seriesNamesIn } from '../../support/metric-catalog.js';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}
const RULES = 'deploy/prometheus/fraudscore-rules.yml';
const rules: Rule[] = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);
const contract = loadTopology('topologies/card-payments.yaml', {}).contract;
const RULE_TESTS = 'deploy/prometheus/tests/fraudscore-rules.test.yml';
const ruleTests = parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { input_series?: { series: string }[] }[] };
const localConfig = parse(readFileSync('deploy/prometheus/prometheus.yml', 'utf8')) as {
  rule_files: string[];
  scrape_configs: { job_name: string; static_configs: { targets: string[]; labels?: Record<string, string> }[] }[];
};
/** The `app` label of each kind of target: the pods' label on Kubernetes, set on the local targets too. */
const APPS = { worker: 'fraudscore', evaluator: 'fraudscore-evaluator' } as const;
const byName = (name: string): Rule[] => rules.filter((r) => (r.record ?? r.alert ?? '').startsWith(name));

/**
 * The rules are promtool-tested in deploy/prometheus/tests/; this keeps them true to the rest of the project: the
 * metric catalog (names) and the topology's contract (SLO figures).
 */
describe('deploy/prometheus rules', () => {
  it('read only series a worker or the evaluator exports (or Prometheus itself: up)', async () => {
    const exported = await exportedSeriesNames();
    const unknown = rules.flatMap((r) => seriesNamesIn(r.expr).filter((name) => !exported.has(name)));
    assert.deepEqual(unknown, []);
    assert.ok(rules.length >= 20);
  });

  it('encode the contract SLOs of the shipped topology', async () => {
    assert.ok(contract, 'topologies/card-payments.yaml has a contract section');
    const { batchLatencyMs, availability, throughputRecordsPerSecond } = contract.slo;
    const buckets = await batchLatencyBuckets();
    for (const ms of [batchLatencyMs.p50, batchLatencyMs.p95, batchLatencyMs.p99]) {
      assert.ok(buckets.includes(ms), `${ms} ms is a bucket of fraudscore_batch_latency_ms (${buckets.join(', ')})`);
    }
    const latency = byName('fraudscore:batch_latency_slo_errors');
    assert.equal(latency.length, 4);
    for (const rule of latency) assert.ok(rule.expr.includes(`le="${batchLatencyMs.p99}"`), rule.record);
    // The p99 objective: 1 % of batches may be slower.
    const [latencyBurn] = byName('FraudscoreBatchLatencyBudgetBurn');
    assert.equal([...latencyBurn!.expr.matchAll(/\* 0\.01\)/g)].length, 4);
    const [availabilityBurn] = byName('FraudscoreAvailabilityBudgetBurn');
    const budget = Number((1 - availability).toFixed(6));
    assert.equal([...availabilityBurn!.expr.matchAll(new RegExp(`\\* ${budget}\\)`, 'g'))].length, 4);
    // Lag alert: one minute of the contract's sustained throughput.
    const [lag] = byName('FraudscoreConsumerLag');
    assert.match(lag!.expr, new RegExp(`> ${throughputRecordsPerSecond * 60}$`));
  });

  it('are loaded by the local Prometheus, which scrapes a worker and the evaluator of the shipped topology where they listen', () => {
    assert.deepEqual(localConfig.rule_files, ['fraudscore-rules.yml']);
    const { host, port } = loadTopology('topologies/card-payments.yaml', {}).metrics;
    assert.deepEqual(
      localConfig.scrape_configs.map((c) => [
        c.job_name,
        c.static_configs.flatMap((s) => s.targets),
        c.static_configs.map((s) => s.labels?.['app']),
      ]),
      [
        ['fraudscore', [`${host}:${port}`], [APPS.worker]],
        // `fraudscore evaluate` listens on the topology's port + 1 unless told otherwise.
        ['fraudscore-evaluator', [`${host}:${port + 1}`], [APPS.evaluator]],
      ],
    );
  });

  it('tell workers from the evaluator by the label their pods carry, not by the scrape job’s name', () => {
    // Rules over series every target has (up) select one kind of target; a worker is compared with workers only.
    const selections = rules.flatMap((r) =>
      [...r.expr.matchAll(/\b(up|fraudscore_control_applied_version)\b(\{[^}]*\})?/g)].map((m) => ({
        rule: r.alert ?? r.record,
        metric: m[1],
        selector: m[0],
        app: /app="([^"]*)"/.exec(m[2] ?? '')?.[1],
      })),
    );
    assert.ok(selections.length >= 4, JSON.stringify(selections));
    for (const { rule, metric, selector, app } of selections) {
      const allowed: string[] = metric === 'up' ? Object.values(APPS) : [APPS.worker];
      assert.ok(allowed.includes(app ?? ''), `${rule}: ${selector} selects app="${allowed.join('" or "')}"`);
      assert.ok(!selector.includes('job='), `${rule}: ${selector} depends on the scrape job's name`);
    }
    assert.deepEqual(
      new Set(selections.filter((s) => s.metric === 'up').map((s) => s.app)),
      new Set(Object.values(APPS)),
    );
    // On Kubernetes the pods carry the label (the README says the scrape configuration must keep it).
    for (const [file, app] of [
      ['deploy/k8s/secured/statefulset.yaml', APPS.worker],
      ['deploy/k8s/secured/evaluator.yaml', APPS.evaluator],
    ] as const) {
      const manifest = parse(readFileSync(file, 'utf8')) as {
        spec: { template: { metadata: { labels: Record<string, string> } } };
      };
      assert.equal(manifest.spec.template.metadata.labels['app'], app, file);
    }
  });

  it('are tested with series labelled as the worker labels them (closed vocabularies, no feature name on a code)', () => {
    // A synthetic series the worker could never export proves nothing about the rule that reads it.
    const vocabulary: Record<string, { label: string; values: readonly string[] }> = {
      fraudscore_score_reason_codes_total: { label: 'code', values: Object.values(ScoreReasonCode) },
      fraudscore_records_dead_lettered_total: { label: 'reason', values: Object.values(DeadLetterReason) },
      fraudscore_records_scored_total: { label: 'decision', values: DECISIONS },
    };
    const checked: string[] = [];
    for (const { series } of ruleTests.tests.flatMap((t) => t.input_series ?? [])) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}$/.exec(series);
      const expected = vocabulary[match?.[1] ?? ''];
      if (!match || !expected) continue;
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      const value = labels[expected.label] ?? '';
      assert.ok(
        expected.values.includes(value),
        `${RULE_TESTS}: ${series}: the worker exports no ${expected.label}="${value}"`,
      );
      checked.push(series);
    }
    assert.ok(checked.length >= 8, checked.join('\n'));
  });

  it('warn on feature PSI at 0.1 and page at 0.25', () => {
    assert.equal(byName('FraudscoreFeatureDrift')[0]!.expr, 'fraudscore_feature_psi >= 0.1');
    assert.equal(byName('FraudscoreFeatureDriftCritical')[0]!.expr, 'fraudscore_feature_psi >= 0.25');
  });
});
