/**
 * The delayed-label evaluator against real Kafka: logged predictions on the output topic and labels on the labels
 * topic, joined per scoring day once the labels matured. A second run (a restart: nothing committed, the join rebuilt
 * from the topics) reports exactly the same figures -- nothing counted twice. The live figures are compared with the
 * card's held-out interval. The HTML report, rendered by headless Chromium, shows data in its plots.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AssignerProtocol, Partitioners, type PartitionAssigner } from 'kafkajs';
import type { Topology } from '../../../src/config/index.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createEvaluatorMetrics } from '../../../src/adapters/observability/metrics.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { createAvroSerde } from '../../../src/adapters/registry/serde.js';
import { evaluationMetrics, type LabelledPrediction } from '../../../src/core/monitoring/eval-metrics.js';
import { PLOT_COLORS } from '../../../src/core/report/svg-plot.js';
import { evaluateToEnd, Evaluator, writeEvaluationReport } from '../../../src/evaluation/index.js';
import { MONITORED_VERSION, monitoredRegistry } from '../../support/monitored-model.js';
import { countColour, screenshot } from '../../support/png.js';
import { createTopics, deleteTopics, STACK, testKafka, testTopology } from '../../support/stack.js';

const DAY = 86_400_000;
const FIRST_DAY = Math.floor(Date.UTC(2026, 0, 5) / DAY);
const DAYS = 4;
const PER_DAY = 250;

interface Row {
  id: string;
  day: number;
  eventTimeMs: number;
  score: number;
  decision: 'APPROVE' | 'REVIEW' | 'BLOCK';
  customer: string;
  amount: number;
  fraudReportedAtMs: number | undefined;
}

/** Deterministic rows: frauds score higher on average; some frauds are reported late within the horizon. */
function rows(): Row[] {
  let state = 12345;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const out: Row[] = [];
  for (let d = 0; d < DAYS; d++) {
    for (let i = 0; i < PER_DAY; i++) {
      const fraud = random() < 0.08;
      const score = Math.min(1, random() * 0.3 + (fraud ? random() * 0.7 : 0));
      const eventTimeMs = (FIRST_DAY + d) * DAY + Math.floor(random() * DAY);
      out.push({
        id: `ev-${d}-${i}`,
        day: FIRST_DAY + d,
        eventTimeMs,
        score,
        decision: score >= 0.5 ? 'BLOCK' : score >= 0.2 ? 'REVIEW' : 'APPROVE',
        customer: `c${Math.floor(random() * 120)}`,
        amount: Math.round(random() * 50_000) / 100,
        fraudReportedAtMs: fraud ? eventTimeMs + Math.floor(random() * 6 * DAY) : undefined,
      });
    }
  }
  return out;
}

describe('delayed-label evaluator (real Kafka)', () => {
  const isolated = testTopology({ partitions: 2 });
  let topology: Topology;
  const data = rows();

  before(async () => {
    const { registry } = await monitoredRegistry({
      // Deliberately above what the data gives, so the live AUC falls below it.
      auc: { value: 0.99, lower: 0.985, upper: 0.995 },
      average_precision: { value: 0.5, lower: 0, upper: 1 },
    });
    topology = { ...isolated.topology, model: { ...isolated.topology.model, registry, name: 'card-fraud' } };
    await createTopics([topology.topics.output, topology.topics.labels], 2);
    const serde = createAvroSerde({ url: STACK.registryUrl });
    const scoreId = await serde.register(`${topology.topics.output}-value`, readContractSchema('score'));
    const labelId = await serde.register(`${topology.topics.labels}-value`, readContractSchema('label'));
    const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const score = (r: Row) => ({
      key: r.customer,
      value: serde.encode(scoreId, {
        transaction_id: r.id,
        event_time: r.eventTimeMs,
        scored_at: r.eventTimeMs,
        score: r.score,
        decision: r.decision,
        model_name: 'card-fraud',
        model_version: MONITORED_VERSION,
        feature_schema_version: 'x',
        features: { amount: r.amount },
        reason_codes: [],
        shadow_scores: {},
        batch_id: 'b',
        source_partition: 0,
        source_offset: 0,
      }),
    });
    // A later day that stays open moves stream time past the others' horizon (10 days by default).
    const tick: Row = { ...data[0]!, id: 'tick', day: FIRST_DAY + 20, eventTimeMs: (FIRST_DAY + 20) * DAY };
    await producer.send({ topic: topology.topics.output, messages: [...data, tick].map(score) });
    const labels = data.flatMap((r) => [
      ...(r.fraudReportedAtMs !== undefined
        ? [{ transaction_id: r.id, is_fraud: true, reported_at: r.fraudReportedAtMs }]
        : []),
      // A genuine label now and then, and a duplicate fraud report: neither changes anything.
      ...(r.id.endsWith('7') ? [{ transaction_id: r.id, is_fraud: false, reported_at: r.eventTimeMs + DAY }] : []),
    ]);
    await producer.send({
      topic: topology.topics.labels,
      messages: labels.map((l) => ({ key: l.transaction_id, value: serde.encode(labelId, l) })),
    });
    await producer.disconnect();
  });

  after(async () => {
    await deleteTopics([topology.topics.output, topology.topics.labels]);
    const admin = testKafka().admin();
    await admin.connect();
    await admin.deleteGroups([`${topology.consumerGroup}.evaluator`]).catch(() => undefined);
    await admin.disconnect();
  });

  const log = createLogger({ name: 'evaluator-test', level: 'warn' });

  it('evaluates each matured day as a direct computation would; a restart reports the same, not double', async () => {
    const metrics = createEvaluatorMetrics(topology.name);
    const first = await evaluateToEnd({ topology, log, metrics });
    assert.deepEqual(
      first.input.matured.map((d) => d.day),
      Array.from({ length: DAYS }, (_, d) => FIRST_DAY + d),
    );
    assert.deepEqual(first.input.openDays, [FIRST_DAY + 20]);
    for (const day of first.input.matured) {
      const expected: LabelledPrediction[] = data
        .filter((r) => r.day === day.day)
        .map((r) => ({
          score: r.score,
          decision: r.decision,
          isFraud: r.fraudReportedAtMs !== undefined,
          customerId: r.customer,
          day: r.day,
          amount: r.amount,
        }));
      assert.deepEqual(day.metrics, evaluationMetrics(expected));
      assert.ok(day.metrics.frauds > 0);
      const known = day.byLabelAge.map((a) => a.metrics.frauds);
      assert.ok(
        known.every((n, i) => i === 0 || n >= known[i - 1]!),
        'labels only accumulate with age',
      );
      assert.equal(known[known.length - 1], day.metrics.frauds);
    }

    const gauge = async (name: string) =>
      (await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
    const labelled = await gauge('fraudscore_eval_labelled_records');
    assert.deepEqual(labelled, [
      { labels: { model_version: `card-fraud@${MONITORED_VERSION}` }, value: DAYS * PER_DAY },
    ]);
    const mismatch = await gauge('fraudscore_eval_offline_online_mismatch');
    assert.deepEqual(
      mismatch.map((m) => `${m.labels['metric']}=${m.value}`).sort(),
      ['auc=1', 'average_precision=0'],
      'the AUC below the card interval is flagged; the AP inside its interval is not; no interval, no series',
    );
    const auc = (await gauge('fraudscore_eval_metric')).find((m) => m.labels['metric'] === 'auc');
    assert.ok(auc && auc.value > 0.5 && auc.value < 0.985);

    const second = await evaluateToEnd({ topology, log });
    assert.deepEqual(second.input.matured, first.input.matured);
    assert.deepEqual(second.input.offlineOnline, first.input.offlineOnline);
  });

  it('is ready while its reader fetches, and says so once it has read nothing for 30 s', async () => {
    const evaluator = new Evaluator({ topology, log, metrics: createEvaluatorMetrics(topology.name) });
    try {
      await evaluator.start();
      await evaluator.caughtUp;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // Read at the end, it fetches every 500 ms: its last fetch is recent, not the evaluator's creation 3 s ago.
      assert.equal(evaluator.unreadyReason(), null);
      assert.equal(evaluator.unreadyReason(Date.now() + 29_000), null);
      assert.match(
        evaluator.unreadyReason(Date.now() + 31_000) ?? '',
        new RegExp(
          `^the evaluator's reader of ${topology.topics.output} and ${topology.topics.labels} has completed no fetch for 3\\d s`,
        ),
      );
    } finally {
      await evaluator.stop();
    }
  });

  it('stops with the reason, not a silent wait, when another application holds its group id', async () => {
    // A consumer of another application in the evaluator's group, choosing partitions with an assignor of its own:
    // the broker refuses the evaluator's join for good (INCONSISTENT_GROUP_PROTOCOL) and kafkajs gives its reader up.
    const assignor: PartitionAssigner = () => ({
      name: 'AnotherApplicationsAssignor',
      version: 1,
      assign: async ({ members }) =>
        members.map((member) => ({
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment: {},
            userData: Buffer.alloc(0),
          }),
        })),
      protocol: ({ topics }) => ({
        name: 'AnotherApplicationsAssignor',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      }),
    });
    const other = testKafka().consumer({
      groupId: `${topology.consumerGroup}.evaluator`,
      partitionAssigners: [assignor],
    });
    await other.connect();
    await other.subscribe({ topic: topology.topics.output });
    const joined = new Promise((resolve) => other.on(other.events.GROUP_JOIN, resolve));
    await other.run({ eachMessage: async () => undefined });
    await joined;
    try {
      const started = Date.now();
      await assert.rejects(evaluateToEnd({ topology, log, timeoutMs: 60_000 }), (error: Error) => {
        assert.match(error.message, /^the evaluator's reader of .* stopped for good/);
        assert.match(error.message, new RegExp(`use the group id ${topology.consumerGroup}\\.evaluator`));
        return true;
      });
      assert.ok(Date.now() - started < 30_000, `told after ${Date.now() - started} ms, not at the time limit`);
    } finally {
      await other.disconnect();
    }
  });

  it('writes a Markdown and HTML report whose plots show data when rendered by Chromium', async () => {
    const { input } = await evaluateToEnd({ topology, log });
    const dir = mkdtempSync(join(tmpdir(), 'fraudscore-report-'));
    const paths = await writeEvaluationReport(dir, input);
    const empty = await writeEvaluationReport(join(dir, 'empty'), { ...input, matured: [], offlineOnline: [] });
    const image = screenshot(paths.html, { width: 1240, height: 2000 });
    const blank = screenshot(empty.html, { width: 1240, height: 2000 });
    assert.equal(image.width, 1240);
    const hex = PLOT_COLORS[0]!;
    const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
    const drawn = countColour(image, rgb);
    // 12 charts, each with a line and a dot per point in the first series' colour.
    assert.ok(drawn > 1500, `series pixels in the rendered report: ${drawn}`);
    assert.equal(countColour(blank, rgb), 0, 'without data, nothing is drawn in that colour');
  });
});
