/**
 * The in-cluster scrape job (deploy/prometheus/kubernetes.yml) on Debian's real Prometheus, with the real rules: it
 * scrapes the annotated fraudscore pods on the port their annotation names, drops the rest, and keeps each pod's `app`
 * label, so the worker rules tell a worker that stopped answering (FraudscoreWorkerDown) from the evaluator.
 *
 * Debian builds Prometheus without Kubernetes discovery, so the job runs with its relabelling verbatim over a file of
 * the labels the pod role gives (`__address__` = pod IP and declared container port, `__meta_kubernetes_*`); only the
 * discovery mechanism is swapped. The pods are /metrics servers exporting what a worker and the evaluator export.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Registry } from 'prom-client';
import { createEvaluatorMetrics, createPipelineMetrics } from '../../../src/adapters/observability/metrics.js';
import { shortenedRules, startPrometheus, type LocalPrometheus, type PromAlert } from '../../support/prometheus.js';
import { freePorts } from '../../support/secure-stack.js';
import { waitFor } from '../../support/wait-for.js';

const SHORT_FOR = '2s';

interface ScrapeJob {
  job_name: string;
  kubernetes_sd_configs?: unknown;
  relabel_configs: unknown[];
}

interface ActiveTarget {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
}

/** A pod as the Kubernetes pod role describes it to relabelling (one declared container port). */
function pod(name: string, app: string, annotations: Record<string, string>, containerPort: number) {
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: 'fraudscore',
    __meta_kubernetes_pod_name: name,
    __meta_kubernetes_pod_label_app: app,
    __meta_kubernetes_pod_container_port_number: String(containerPort),
  };
  for (const [key, value] of Object.entries(annotations)) {
    labels[`__meta_kubernetes_pod_annotation_${key.replace(/[./-]/g, '_')}`] = value;
  }
  return { targets: [`127.0.0.1:${containerPort}`], labels };
}

function metricsServer(registry: Registry): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => {
    void registry.metrics().then((text) => {
      response.writeHead(200, { 'content-type': registry.contentType });
      response.end(text);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

describe('in-cluster scrape job -> real Prometheus -> worker rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-prometheus-k8s-'));
  const servers: Server[] = [];
  let prometheus: LocalPrometheus | undefined;

  const targets = async (): Promise<{ active: ActiveTarget[]; dropped: number }> => {
    const body = (await (await fetch(`${prometheus!.api}/api/v1/targets`)).json()) as {
      data: { activeTargets: ActiveTarget[]; droppedTargets: unknown[] };
    };
    return { active: body.data.activeTargets, dropped: body.data.droppedTargets.length };
  };
  const alerts = async (): Promise<PromAlert[]> =>
    ((await (await fetch(`${prometheus!.api}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } }).data.alerts;

  before(async () => {
    const worker = await metricsServer(createPipelineMetrics('card-payments').registry);
    const evaluator = await metricsServer(createEvaluatorMetrics('card-payments').registry);
    servers.push(worker.server, evaluator.server);
    const silent = (await freePorts(1))[0]!;
    const config = parse(readFileSync('deploy/prometheus/kubernetes.yml', 'utf8')) as { scrape_configs: ScrapeJob[] };
    assert.equal(config.scrape_configs.length, 1);
    const job = config.scrape_configs[0]!;
    assert.ok(job.kubernetes_sd_configs, 'the shipped job discovers pods through Kubernetes');
    // Container ports as the manifests declare them (9464, 9465); the annotations name where each pod here listens.
    const pods = [
      pod(
        'fraudscore-0',
        'fraudscore',
        { 'prometheus.io/scrape': 'true', 'prometheus.io/port': `${worker.port}` },
        9464,
      ),
      pod('fraudscore-1', 'fraudscore', { 'prometheus.io/scrape': 'true', 'prometheus.io/port': `${silent}` }, 9464),
      pod(
        'fraudscore-evaluator-7d9c',
        'fraudscore-evaluator',
        { 'prometheus.io/scrape': 'true', 'prometheus.io/port': `${evaluator.port}` },
        9465,
      ),
      // Not asking to be scraped, and not fraudscore's: neither is a target.
      pod('fraudscore-2', 'fraudscore', {}, worker.port),
      pod('other-0', 'other', { 'prometheus.io/scrape': 'true', 'prometheus.io/port': `${worker.port}` }, 8080),
    ];
    writeFileSync(join(dir, 'pods.json'), JSON.stringify(pods));
    const { kubernetes_sd_configs: _discovery, ...relabelled } = job;
    prometheus = await startPrometheus(dir, {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [shortenedRules(dir, SHORT_FOR)],
      scrape_configs: [
        { ...relabelled, file_sd_configs: [{ files: [join(dir, 'pods.json')], refresh_interval: '1s' }] },
      ],
    });
  });

  after(async () => {
    await prometheus?.stop();
    for (const server of servers) await new Promise((done) => server.close(done));
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the annotated fraudscore pods on their annotated port, with app, namespace and pod', async () => {
    const found = await waitFor(
      'three scraped targets',
      async () => {
        const listed = await targets();
        return listed.active.length === 3 && listed.active.every((t) => t.health !== 'unknown') ? listed : undefined;
      },
      60_000,
    );
    const seen = found.active
      .map((t) => [t.labels['pod'], t.labels['app'], t.labels['namespace'], t.health])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(seen, [
      ['fraudscore-0', 'fraudscore', 'fraudscore', 'up'],
      ['fraudscore-1', 'fraudscore', 'fraudscore', 'down'],
      ['fraudscore-evaluator-7d9c', 'fraudscore-evaluator', 'fraudscore', 'up'],
    ]);
    assert.equal(found.dropped, 2);
  });

  it('lets FraudscoreWorkerDown fire for the worker that does not answer, and for no other pod', async () => {
    const firing = await waitFor(
      'FraudscoreWorkerDown firing',
      async () => {
        const down = (await alerts()).filter((a) => a.labels['alertname'] === 'FraudscoreWorkerDown');
        return down.some((a) => a.state === 'firing') ? down : undefined;
      },
      60_000,
    );
    assert.deepEqual(
      firing.map((a) => [a.labels['pod'], a.state]),
      [['fraudscore-1', 'firing']],
    );
    assert.deepEqual(
      (await alerts()).filter((a) => a.labels['alertname'] === 'FraudscoreEvaluatorDown'),
      [],
    );
  });
});
