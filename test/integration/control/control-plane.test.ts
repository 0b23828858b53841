import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { Partitioners } from 'kafkajs';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { createLogger, logLevelFor } from '../../../src/adapters/observability/logger.js';
import { controlTopicName } from '../../../src/adapters/kafka/control/index.js';
import { routesToChallenger } from '../../../src/core/control/index.js';
import {
  assertEveryInputScoredOnce,
  healthz,
  lifecycleTopology,
  scoreRound,
  testOperations,
  waitForApplied,
} from '../../support/lifecycle.js';
import { deleteTopics, testKafka, testProducer, type ReadRecord, type TestProducer } from '../../support/stack.js';

/**
 * The control plane against the real stack: one worker follows the control topic; each change (batch window,
 * shadow, rollout, kill switch, a refused challenger) is applied at a batch boundary, visible in /healthz and the
 * metrics, and every input still gets exactly one outcome across all of them.
 */
/** The version the lifecycle topology serves (test/support/lifecycle.ts: card-fraud@1 by version, whichever is champion). */
const CHAMPION = '1';

describe('control plane (real Kafka, registry, Redis, ONNX)', () => {
  const { topology, topics } = lifecycleTopology({ maxRecords: 250, maxWaitMs: 200 });
  const ops = testOperations(topology);
  let producer: TestProducer;
  let pipeline: PipelineContext;
  const batchSizes: number[] = [];
  let sent = 0;

  /** Sends events and returns their scores once every one of them is out. */
  async function scoreRoundOf(prefix: string, count: number): Promise<ReadRecord[]> {
    const scores = await scoreRound(producer, topology, { prefix, count, sentBefore: sent });
    sent += count;
    return scores;
  }

  before(async () => {
    pipeline = await createPipeline({
      topology,
      instanceId: 'w1',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: logLevelFor('warn', process.env, 'TEST_LOG_LEVEL') }),
      onCommitted: (_summary, batch) => batchSizes.push(batch.size),
    });
    void pipeline.runner.start();
    producer = await testProducer(topology);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
  });

  it('creates the compacted control topic and serves the topology file until a record says otherwise', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    const [config] = (
      await admin.describeConfigs({
        resources: [{ type: 2, name: controlTopicName(topology.name), configNames: ['cleanup.policy'] }],
        includeSynonyms: false,
      })
    ).resources;
    await admin.disconnect();
    assert.equal(config?.configEntries[0]?.configValue, 'compact');
    const scores = await scoreRoundOf('v0', 300);
    assert.ok(scores.every((r) => r.value['control_version'] === 0 && r.value['route'] === 'champion'));
    assert.equal((await healthz(pipeline.metricsAddress)).control.appliedVersion, 0);
    // The reader fetches every 250 ms: its last fetch, as the alert reads it, is recent.
    const metrics = await (await fetch(`http://${pipeline.metricsAddress}/metrics`)).text();
    const lastFetch = /^fraudscore_control_last_fetch_timestamp_seconds\{[^}]*\} (\S+)$/m.exec(metrics)?.[1];
    assert.ok(Math.abs(Date.now() / 1000 - Number(lastFetch)) < 5, `last fetch at ${lastFetch}`);
  });

  it('applies a batch window set live, at a batch boundary, visible in /healthz and the metrics', async () => {
    const record = await ops.setWindow(
      ['batch.maxRecords=100', 'batch.maxWaitMs=150', 'batch.minRecords=60'],
      'smaller batches',
    );
    const status = await waitForApplied(pipeline.metricsAddress, record.version);
    assert.deepEqual(status.window, { maxRecords: 100, maxWaitMs: 150, minRecords: 60 });
    batchSizes.length = 0;
    const scores = await scoreRoundOf('window', 600);
    assert.ok(scores.every((r) => r.value['control_version'] === record.version));
    assert.ok(batchSizes.length >= 6 && batchSizes.every((n) => n <= 100), `batches ${batchSizes.join(',')}`);
    const metrics = await (await fetch(`http://${pipeline.metricsAddress}/metrics`)).text();
    assert.match(metrics, /^fraudscore_batch_window_max_records\{[^}]*\} 100$/m);
    assert.match(metrics, /^fraudscore_batch_window_min_records\{[^}]*\} 60$/m);
    assert.match(metrics, new RegExp(`^fraudscore_control_applied_version\\{[^}]*\\} ${record.version}$`, 'm'));
    await assert.rejects(ops.setWindow(['batch.maxWaitMs=31000'], 'too long'), /maxWaitMs/);
    await assert.rejects(
      ops.setWindow(['batch.minRecords=900'], 'a floor above the ceiling'),
      /batch\.minRecords \(900\) must be at most batch\.maxRecords \(100\)/,
    );
  });

  it('scores every record with the challenger too in shadow; the champion decides', async () => {
    await assert.rejects(ops.shadowStart(`card-fraud@${CHAMPION}`, 'itself'), /is the champion/);
    const record = await ops.shadowStart('card-fraud@2', 'shadow the new model');
    await waitForApplied(pipeline.metricsAddress, record.version);
    await assert.rejects(ops.promote('skip every stage'), /card-fraud@2 is in shadow, not in a rollout/);
    const scores = await scoreRoundOf('shadow', 500);
    for (const r of scores) {
      assert.equal(r.value['model_version'], CHAMPION);
      assert.equal(r.value['route'], 'champion');
      const shadow = r.value['shadow_scores'] as Record<string, number>;
      assert.ok(Number.isFinite(shadow['card-fraud@2']), JSON.stringify(shadow));
      assert.ok(Object.keys(r.value['model_latency_ms'] as object).includes('card-fraud@2'));
    }
  });

  it('routes exactly the customers the salted hash selects, and the other model rides in shadow_scores', async () => {
    const record = await ops.rolloutStart('card-fraud@2', { plan: [25, 100], stepMs: 3_600_000, reason: 'rollout' });
    const salt = record.state.challenger?.salt as string;
    await waitForApplied(pipeline.metricsAddress, record.version);
    const scores = await scoreRoundOf('rollout', 2000);
    let routed = 0;
    for (const r of scores) {
      const toChallenger = routesToChallenger(salt, r.key as string, 25);
      assert.equal(r.value['route'], toChallenger ? 'challenger' : 'champion', `customer ${r.key}`);
      assert.equal(r.value['model_version'], toChallenger ? '2' : CHAMPION);
      assert.equal(r.value['rollout_percent'], 25);
      const other = toChallenger ? `card-fraud@${CHAMPION}` : 'card-fraud@2';
      assert.ok(Number.isFinite((r.value['shadow_scores'] as Record<string, number>)[other]));
      if (toChallenger) routed++;
    }
    const share = routed / scores.length;
    assert.ok(share > 0.15 && share < 0.35, `share routed ${share}`);
  });

  it('flips the kill switch: the rollback target decides every record, flagged KILL_SWITCH_FALLBACK; off restores', async () => {
    // A record readers would skip is not written (it used to be, and be reported as a lost race).
    await assert.rejects(ops.killOn(''), /^Error: not written: every worker would ignore this change \(reason: /);
    const on = await ops.killOn('drill');
    assert.equal(on.state.killSwitch.target, 'card-fraud@1');
    const status = await waitForApplied(pipeline.metricsAddress, on.version);
    assert.equal(status.killed, true);
    const killed = await scoreRoundOf('killed', 400);
    for (const r of killed) {
      assert.equal(r.value['route'], 'kill_switch');
      assert.equal(r.value['model_version'], '1');
      assert.ok((r.value['reason_codes'] as string[]).includes('KILL_SWITCH_FALLBACK'));
    }
    const metrics = await (await fetch(`http://${pipeline.metricsAddress}/metrics`)).text();
    assert.match(metrics, /^fraudscore_kill_switch_active\{[^}]*\} 1$/m);
    assert.match(metrics, /^fraudscore_records_decided_total\{[^}]*route="kill_switch"[^}]*\} 400$/m);

    const off = await ops.killOff('drill over');
    assert.equal(off.state.challenger?.percent, 25, 'the rollout is back as it was');
    assert.equal((await waitForApplied(pipeline.metricsAddress, off.version)).percent, 25);
  });

  it('refuses a change whose model cannot be loaded and keeps serving as it was', async () => {
    const aborted = await ops.abort('end the rollout');
    await waitForApplied(pipeline.metricsAddress, aborted.version);
    await assert.rejects(ops.shadowStart('card-fraud@404', 'missing'), /404/);
    const before = (await healthz(pipeline.metricsAddress)).control;
    // Written past the CLI's check, as a stale operator tool might: the worker must refuse it on its own.
    const producerRaw = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producerRaw.connect();
    const view = await ops.view();
    await producerRaw.send({
      topic: controlTopicName(topology.name),
      messages: [
        {
          key: topology.name,
          value: JSON.stringify({
            ...view.record,
            version: view.version + 1,
            change: { kind: 'shadow-start', details: {} },
            state: {
              ...view.state,
              challenger: {
                ...(view.record?.state.challenger ?? {}),
                model: 'card-fraud@404',
                mode: 'shadow',
                percent: 0,
                plan: [100],
                stageIndex: -1,
                stepMs: 0,
                salt: 's',
                paused: false,
                stageStartedAtMs: 0,
              },
            },
          }),
        },
      ],
    });
    await producerRaw.disconnect();
    const deadline = Date.now() + 20_000;
    let status = before;
    while (Date.now() < deadline && !status.rejected) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await healthz(pipeline.metricsAddress)).control;
    }
    assert.equal(status.rejected?.version, view.version + 1);
    assert.equal(status.appliedVersion, before.appliedVersion);
    const scores = await scoreRoundOf('refused', 200);
    assert.ok(scores.every((r) => r.value['control_version'] === before.appliedVersion));
    // What FraudscoreControlVersionBehind reads when every worker refuses: the version read above the one applied.
    const metrics = await (await fetch(`http://${pipeline.metricsAddress}/metrics`)).text();
    assert.match(metrics, new RegExp(`^fraudscore_control_seen_version\\{[^}]*\\} ${view.version + 1}$`, 'm'));
    assert.match(metrics, new RegExp(`^fraudscore_control_applied_version\\{[^}]*\\} ${before.appliedVersion}$`, 'm'));
  });

  it('starts a second worker meanwhile: it waits in start-up, alive on /livez and not ready on /healthz', async () => {
    const refusedVersion = (await ops.view()).version;
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const abort = new AbortController();
    const starting = createPipeline({
      topology,
      instanceId: 'w2',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'warn', destination }),
      signal: abort.signal,
    });
    const startFailure = starting.then(
      (second) => second.close().then(() => new Error('the second worker finished its start-up')),
      (error: unknown) => error as Error,
    );
    const deadline = Date.now() + 60_000;
    let waiting: { metrics?: string; reason?: string } | undefined;
    while (Date.now() < deadline && !waiting) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      waiting = lines
        .map((line) => JSON.parse(line) as { msg: string; metrics?: string; reason?: string })
        .find((entry) => entry.msg.startsWith('start-up waits'));
    }
    assert.ok(waiting?.metrics, `no start-up wait logged: ${lines.join('\n')}`);
    const livez = await fetch(`http://${waiting.metrics}/livez`);
    assert.equal(livez.status, 200);
    const ready = await fetch(`http://${waiting.metrics}/healthz`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { reason: string };
    assert.match(body.reason, new RegExp(`control version ${refusedVersion} was refused`));
    const scraped = await (await fetch(`http://${waiting.metrics}/metrics`)).text();
    assert.match(scraped, /^fraudscore_ready\{[^}]*\} 0$/m, 'its readiness gauge says so too');
    abort.abort(new Error('test over'));
    const failure = await startFailure;
    assert.doesNotMatch(failure.message, /finished its start-up/);
    await assert.rejects(fetch(`http://${waiting.metrics}/livez`));
  });

  it('gave every input exactly one outcome across all the control changes', async () => {
    await assertEveryInputScoredOnce(topology, sent);
  });

  it('stops as a fatal error when the control topic is deleted and the next change creates it again', async () => {
    const before = (await healthz(pipeline.metricsAddress)).control.appliedVersion;
    await deleteTopics([controlTopicName(topology.name)]);
    // Read empty, the new log gets version 1: below what the worker holds, so it would otherwise be ignored.
    const change = await ops.setWindow(['batch.maxRecords=200'], 'after the control topic was deleted');
    assert.ok(change.version < before, `version ${change.version} after ${before}`);
    const deadline = Date.now() + 60_000;
    let answer: { status: string; reason?: string };
    do {
      await new Promise((resolve) => setTimeout(resolve, 500));
      answer = (await (await fetch(`http://${pipeline.metricsAddress}/healthz`)).json()) as typeof answer;
    } while (answer.status === 'ok' && Date.now() < deadline);
    assert.match(answer.reason ?? '', /^fatal: the control topic \S+ was deleted and created again/);
    assert.equal(await (await fetch(`http://${pipeline.metricsAddress}/livez`)).status, 503);
  });
});
