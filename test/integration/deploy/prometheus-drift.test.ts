import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { registryConnection } from '../../../src/config/index.js';
import { DriftScenario } from '../../../src/core/simulate/index.js';
import { simulateToKafka } from '../../../src/simulate/index.js';
import { connectTestRedis, deleteKeys } from '../../support/redis.js';
import { MONITORED_VERSION, monitoredRegistry } from '../../support/monitored-model.js';
import { deleteTopics, testTopology } from '../../support/stack.js';
import { shortenedRules, startPrometheus, type LocalPrometheus, type PromAlert } from '../../support/prometheus.js';
import { freePorts } from '../../support/secure-stack.js';
import { waitFor } from '../../support/wait-for.js';
import { startWorker, stopWorker, type WorkerProcess } from '../../support/worker-process.js';

/** The real rules, with every `for:` cut to this so that a sustained condition fires within the test. */
const SHORT_FOR = '3s';

/**
 * The monitoring path end to end, on the real stack and Debian's Prometheus started through deploy/local/prometheus.sh:
 * the simulator injects a declared drift (amounts three times as large from day 1), a worker scores it and computes
 * PSI against its model card, Prometheus scrapes the worker and evaluates deploy/prometheus/fraudscore-rules.yml, and
 * its API reports the drift alert firing.
 */
// Known in advance, so that Prometheus can be told where to scrape.
const metricsPort = (await freePorts(1))[0]!;

describe('drift -> worker -> Prometheus -> alert firing', () => {
  const { topology, topics, file } = testTopology({ maxRecords: 1000, maxWaitMs: 200, metricsPort });
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-prometheus-'));
  let api = '';
  let prometheus: LocalPrometheus | undefined;
  let worker: WorkerProcess | undefined;

  const alerts = async (): Promise<PromAlert[]> => {
    const body = (await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
    return body.data.alerts.filter((a) => a.labels['topology'] === topology.name);
  };
  const instantQuery = async (promql: string): Promise<unknown[]> => {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    return ((await response.json()) as { data: { result: unknown[] } }).data.result;
  };
  const firing = (name: string, match: (a: PromAlert) => boolean = () => true) =>
    waitFor(
      `${name} firing`,
      async () => (await alerts()).find((a) => a.labels['alertname'] === name && a.state === 'firing' && match(a)),
      90_000,
    );

  before(async () => {
    // The worker serves a copy of the demo model whose card has a monitoring reference (the shipped card-fraud@1
    // predates them): without one it exports no drift gauges.
    const monitored = await monitoredRegistry();
    writeFileSync(
      file,
      stringify({
        ...topology,
        model: { registry: monitored.registry, name: 'card-fraud', version: MONITORED_VERSION },
      }),
    );
    // A rule on a metric every worker exports today, to prove scrape and evaluation independently of the drift gauges.
    writeFileSync(
      join(dir, 'plumbing.yml'),
      stringify({
        groups: [
          {
            name: 'test-plumbing',
            rules: [
              {
                alert: 'TestRecordsScraped',
                expr: 'sum by (topology) (fraudscore_records_in_total) > 0',
                for: SHORT_FOR,
              },
            ],
          },
        ],
      }),
    );
    prometheus = await startPrometheus(dir, {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [shortenedRules(dir, SHORT_FOR), join(dir, 'plumbing.yml')],
      scrape_configs: [{ job_name: 'fraudscore', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] }],
    });
    api = prometheus.api;

    // The worker first (it creates the topics), so that the traffic arrives while Prometheus watches.
    worker = startWorker(file, 'w1');
    await waitFor(
      'the worker to serve /healthz',
      async () => ((await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => null))?.ok ? true : undefined),
      60_000,
    );
    // And Prometheus scraping it (its scrape manager takes up to 5 s to pick a new target up): a rate needs a sample
    // from before the traffic, or a backlog processed before the first scrape shows no increase at all.
    await waitFor(
      'Prometheus to scrape the worker before the traffic',
      async () => {
        const series = await instantQuery(`fraudscore_records_scored_total{topology="${topology.name}"}`);
        return series.length > 0 ? true : undefined;
      },
      60_000,
    );
    await simulateToKafka({
      kafka: {
        brokers: topology.kafka.brokers,
        clientId: 'fraudscore-test-simulator',
        registry: registryConnection(topology),
        transactionsTopic: topology.topics.input,
        labelsTopic: topology.topics.labels,
        partitions: topology.topics.partitions,
      },
      simulation: {
        seed: 7,
        customers: 1_000,
        terminals: 500,
        days: 4,
        driftScenario: DriftScenario.AmountShift,
        driftFromDay: 1,
        driftAmountFactor: 3,
        // Hostile records (one in six outcomes a dead letter): a real alert that fires on metrics every worker
        // exports today, FraudscoreDeadLetterRateCritical.
        invalidRate: 0.2,
      },
      // Paced, so that Prometheus scrapes the counters while they rise (a rate needs two different samples).
      ratePerSecond: 2_500,
    });
  });

  after(async () => {
    if (worker) await stopWorker(worker);
    await prometheus?.stop();
    await deleteTopics(topics);
    const redis = connectTestRedis();
    await deleteKeys(redis, topology.redis.keyPrefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the worker and fires rules on the metrics it exports today', { timeout: 120_000 }, async () => {
    const alert = await firing('TestRecordsScraped');
    assert.ok(Number(alert.value) > 0, `records counted: ${alert.value}`);
    const deadLetters = await firing('FraudscoreDeadLetterRateCritical').catch(async (error: unknown) => {
      // Say which link is missing: the counters as scraped, their rates, the recorded ratio, or the worker.
      const scope = `topology="${topology.name}"`;
      const figures = await Promise.all(
        [
          `sum(fraudscore_records_dead_lettered_total{${scope}})`,
          `sum(fraudscore_records_scored_total{${scope}})`,
          `sum(rate(fraudscore_records_dead_lettered_total{${scope}}[10m]))`,
          `sum(rate(fraudscore_records_scored_total{${scope}}[10m]))`,
          `fraudscore:dead_letter:ratio_rate10m{${scope}}`,
        ].map(async (q) => `${q} = ${JSON.stringify(await instantQuery(q))}`),
      );
      throw new Error(
        `${String(error)}; ${figures.join('; ')}; ` +
          `worker exit code ${String(worker?.child.exitCode)}, its output: ${worker?.output().slice(-4000) ?? ''}`,
      );
    });
    assert.ok(
      Number(deadLetters.value) > 0.1 && Number(deadLetters.value) < 0.3,
      `dead-letter share ${deadLetters.value}`,
    );
    assert.equal(deadLetters.labels['severity'], 'critical');
    const targets = (await (await fetch(`${api}/api/v1/targets`)).json()) as {
      data: { activeTargets: { labels: Record<string, string>; health: string }[] };
    };
    assert.deepEqual(
      targets.data.activeTargets.map((t) => [t.labels['job'], t.health]),
      [['fraudscore', 'up']],
    );
  });

  it('reports the feature drift alert firing for the shifted amount', { timeout: 120_000 }, async () => {
    const alert = await firing('FraudscoreFeatureDriftCritical', (a) => a.labels['feature'] === 'amount').catch(
      async (error: unknown) => {
        // Say which link of the chain is missing: the gauge, or the rule.
        const psi = await instantQuery(`fraudscore_feature_psi{topology="${topology.name}"}`);
        throw new Error(
          `${String(error)}; fraudscore_feature_psi series scraped from the worker: ${JSON.stringify(psi)}` +
            (psi.length === 0
              ? ' (none: the worker does not export PSI, or its model card has no monitoring reference)'
              : ''),
        );
      },
    );
    assert.ok(Number(alert.value) >= 0.25, `PSI of amount ${alert.value}`);
    assert.equal(alert.labels['severity'], 'critical');
    assert.ok(alert.labels['model_version'], 'labelled with the serving model version');
  });
});
