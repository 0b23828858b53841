import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { parseTopology } from '../../../src/config/index.js';
import { openFsRegistry } from '../../../src/adapters/model-registry/index.js';
import { ModelRegistry } from '../../../src/adapters/model-registry/registry.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createEvaluatorMetrics } from '../../../src/adapters/observability/metrics.js';
import { LABEL_DELIVERY_GRACE_MS } from '../../../src/core/monitoring/evaluation.js';
import type { Expectation } from '../../../src/core/monitoring/reference.js';
import type { StreamTime } from '../../../src/core/monitoring/stream-time.js';
import { partitionKey } from '../../../src/adapters/kafka/stream-partitions.js';
import type { AvroSerde } from '../../../src/adapters/registry/serde.js';
import { Evaluator } from '../../../src/evaluation/index.js';
import { CARD_LOOKUP_RETRY_MS } from '../../../src/evaluation/evaluator.js';
import { fakeModel, makeCard } from '../core/models/card-fixture.js';

const DAY = 86_400_000;
const D0 = 20_000; // a UTC day index

/** The evaluator's batch handler and serde, for feeding it decoded records without a broker or a registry. */
interface EvaluatorInternals {
  readonly serde: AvroSerde;
  onBatch(payload: { batch: FakeBatch }): Promise<void>;
}
interface FakeBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: { key: Buffer | null; value: Buffer; offset: string }[];
  offsetLag(): string;
}

/** The next offset of each topic's partition 0, across every batch made here (each later batch comes after). */
const nextOffsets = new Map<string, number>();

/** A batch of records (their decoded fields as JSON) from one partition, read to its end. */
function batchOf(topic: string, records: readonly Record<string, unknown>[]): { batch: FakeBatch } {
  const first = nextOffsets.get(topic) ?? 0;
  nextOffsets.set(topic, first + records.length);
  return {
    batch: {
      topic,
      partition: 0,
      messages: records.map((r, i) => ({
        key: Buffer.from('c'),
        value: Buffer.from(JSON.stringify(r)),
        offset: String(first + i),
      })),
      offsetLag: () => '0',
    },
  };
}

function evaluatorFor(topologyText: string, clock?: () => number): Evaluator {
  return new Evaluator({
    topology: parseTopology(topologyText, 't.yaml', {}),
    log: createLogger({ name: 't', level: 'silent' }),
    metrics: createEvaluatorMetrics('t'),
    ...(clock ? { clock } : {}),
  });
}

/** The evaluator's internals, with its serde taking each record's value as its decoded fields in JSON. */
function decodingJson(t: TestContext, evaluator: Evaluator): EvaluatorInternals {
  const internals = evaluator as unknown as EvaluatorInternals;
  t.mock.method(internals.serde, 'prepare', async () => {});
  t.mock.method(internals.serde, 'decodeSync', (bytes: Buffer) => ({
    ok: true,
    schemaId: 1,
    value: JSON.parse(bytes.toString()) as Record<string, unknown>,
  }));
  return internals;
}

describe('Evaluator status', () => {
  let registry: string;
  const cardFraudAuc: Expectation = { value: 0.97, lower: 0.9, upper: 1 };
  const brokenAuc: Expectation = { value: 0.75, lower: 0.7, upper: 0.8 };
  // A narrow held-out interval: a live AUC of 8/9 on a single fraud lies outside it, but within sampling error.
  const fewFraudsAuc: Expectation = { value: 0.95, lower: 0.93, upper: 0.97 };

  before(async () => {
    registry = await mkdtemp(join(tmpdir(), 'fraudscore-evaluator-'));
    // Two models with the same version number, as in the lifecycle demo (champion and a 5 % challenger).
    for (const [name, auc] of [
      ['card-fraud', cardFraudAuc],
      ['broken-scores', brokenAuc],
      ['few-frauds', fewFraudsAuc],
    ] as const) {
      const model = fakeModel(`${name}@1`);
      const card = {
        ...makeCard(name, '1', model),
        monitoring: {
          epsilon: 1e-4,
          features: {},
          score: { bins: { edges: [], shares: [1] }, sample: [0.5], rows: 'test' },
          expectations: { auc },
        },
      };
      await openFsRegistry(registry).register(
        { model, card: new TextEncoder().encode(JSON.stringify(card)), cardMd: new TextEncoder().encode('# card\n') },
        { champion: true },
      );
    }
  });
  after(async () => {
    await rm(registry, { recursive: true, force: true });
  });

  const topologyText = () =>
    readFileSync('topologies/card-payments.yaml', 'utf8').replace(/^ {2}registry: .*$/m, `  registry: ${registry}`) +
    '\nmonitoring:\n  evaluation:\n    horizonDays: 10\n    minLabelled: 1\n';

  it('compares each model with its own card, even when another model has the same version', async () => {
    const evaluator = evaluatorFor(topologyText());
    for (let i = 0; i < 10; i++) {
      const common = {
        eventTimeMs: D0 * DAY + i * 1000,
        decision: 'APPROVE',
        customerId: `c${i}`,
        amount: 10,
      } as const;
      evaluator.join.addPrediction({
        ...common,
        transactionId: `champion-${i}`,
        score: i / 10,
        modelName: 'card-fraud',
        modelVersion: '1',
      });
      // The challenger gives the fraud its lowest score: its AUC is 0, far below either card's interval.
      evaluator.join.addPrediction({
        ...common,
        transactionId: `challenger-${i}`,
        score: 1 - i / 10,
        modelName: 'broken-scores',
        modelVersion: '1',
      });
    }
    evaluator.join.addLabel({ transactionId: 'champion-9', isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    evaluator.join.addLabel({ transactionId: 'challenger-9', isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    evaluator.join.advance((D0 + 20) * DAY);

    const status = await evaluator.status();
    const auc = (model: string) => {
      const entry = status.find((s) => s.model === model);
      assert.ok(entry, `a status for ${model}`);
      assert.equal(entry.labelled, 10, `${model} pools only its own rows`);
      return entry.comparisons.find((c) => c.metric === 'auc');
    };
    assert.deepEqual(status.map((s) => s.model).sort(), ['broken-scores@1', 'card-fraud@1']);
    // A perfect (or perfectly wrong) ranking has no live sampling error: the card's interval alone sets the scale,
    // its width / (2 × 1.96).
    const offlineOf = (e: Expectation) => (e.upper - e.lower) / (2 * 1.96);
    assert.deepEqual(auc('card-fraud@1'), {
      metric: 'auc',
      status: 'within',
      live: 1,
      expected: cardFraudAuc,
      liveStandardError: 0,
      offlineStandardError: offlineOf(cardFraudAuc),
      z: (1 - 0.97) / offlineOf(cardFraudAuc),
    });
    assert.deepEqual(auc('broken-scores@1'), {
      metric: 'auc',
      status: 'below',
      live: 0,
      expected: brokenAuc,
      liveStandardError: 0,
      offlineStandardError: offlineOf(brokenAuc),
      z: -0.75 / offlineOf(brokenAuc),
    });
  });

  it("flags no mismatch for a live figure outside the card's interval but within the combined sampling error", async () => {
    const evaluator = evaluatorFor(topologyText());
    for (let i = 0; i < 10; i++) {
      evaluator.join.addPrediction({
        eventTimeMs: D0 * DAY + i * 1000,
        decision: 'APPROVE',
        customerId: `c${i}`,
        amount: 10,
        transactionId: `few-${i}`,
        score: i / 10,
        modelName: 'few-frauds',
        modelVersion: '1',
      });
    }
    // The one fraud ranks above 8 of the 9 genuine records: live AUC 8/9 = 0.889, below the interval's 0.93.
    evaluator.join.addLabel({ transactionId: 'few-8', isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    evaluator.join.advance((D0 + 20) * DAY);

    const [entry] = await evaluator.status();
    const comparison = entry?.comparisons.find((c) => c.metric === 'auc');
    assert.ok(comparison && 'expected' in comparison);
    assert.ok(comparison.live < fewFraudsAuc.lower, 'outside the held-out interval');
    // One fraud: Hanley-McNeil SE 0.2287 (var 0.05228758169934647); held-out 0.04 / 3.92.
    assert.ok(Math.abs(comparison.liveStandardError - 0.22866478019001193) <= 1e-12);
    assert.equal(comparison.status, 'within', 'a single fraud cannot tell 0.889 from 0.95');
    assert.ok(Math.abs(comparison.z - (8 / 9 - 0.95) / Math.hypot(0.04 / 3.92, 0.22866478019001193)) <= 1e-12);
  });

  it('lets no record dated more than 24 h ahead of the clock move stream time, and still joins it', async (t) => {
    const evaluator = evaluatorFor(topologyText());
    const internals = decodingJson(t, evaluator);
    const scoredAtMs = Date.now() - 2 * DAY;
    const score = { model_name: 'card-fraud', model_version: '1', decision: 'APPROVE', score: 0.9, features: {} };
    await internals.onBatch(batchOf('payments.scores', [{ ...score, transaction_id: 'tx-1', event_time: scoredAtMs }]));
    assert.equal(evaluator.streamTimeMs(), scoredAtMs);
    // A report time in microseconds, and one a little ahead of the clock but within the contract's skew allowance.
    const withinSkewMs = Date.now() + 12 * 3600 * 1000;
    await internals.onBatch(
      batchOf('payments.labels', [
        { transaction_id: 'tx-1', is_fraud: true, reported_at: scoredAtMs * 1000 },
        { transaction_id: 'tx-2', is_fraud: true, reported_at: withinSkewMs - 1 },
      ]),
    );
    assert.equal(evaluator.streamTimeMs(), withinSkewMs - 1, 'the mis-dated report leaves stream time behind');
    // The report within the skew allowance moves stream time ahead of the clock, but days are final against both.
    assert.ok(evaluator.watermark() <= Date.now() - LABEL_DELIVERY_GRACE_MS, 'no day final past the clock');
    assert.deepEqual(evaluator.join.maturedDays(), [], 'no day finalised by it');
    assert.equal(evaluator.recordsRead().labels, 2, 'both labels read and joined');
  });

  it('reads a record delivered again (its reader rejoined and reads from the beginning: it never commits) once', async (t) => {
    const evaluator = evaluatorFor(topologyText());
    const internals = decodingJson(t, evaluator);
    const scoredAtMs = Date.now() - 2 * DAY;
    const score = { model_name: 'card-fraud', model_version: '1', decision: 'APPROVE', score: 0.9, features: {} };
    const scores = batchOf('payments.scores', [
      { ...score, transaction_id: 'tx-1', event_time: scoredAtMs },
      { ...score, transaction_id: 'tx-2', event_time: scoredAtMs },
    ]);
    const labels = batchOf('payments.labels', [{ transaction_id: 'tx-1', is_fraud: true, reported_at: scoredAtMs }]);
    for (const batch of [scores, labels, scores, labels]) await internals.onBatch(batch);
    assert.deepEqual(evaluator.recordsRead(), { scores: 2, labels: 1 });
    assert.equal(evaluator.join.duplicates, 0, 'the second delivery reached the join');
  });

  it('uses a batch that failed before use (the registry unreachable) when it is delivered again', async (t) => {
    const evaluator = evaluatorFor(topologyText());
    const internals = decodingJson(t, evaluator);
    const scoredAtMs = Date.now() - 2 * DAY;
    const score = { model_name: 'card-fraud', model_version: '1', decision: 'APPROVE', score: 0.9, features: {} };
    const scores = batchOf('payments.scores', [{ ...score, transaction_id: 'tx-1', event_time: scoredAtMs }]);
    const prepare = internals.serde.prepare as unknown as { mock: { mockImplementationOnce(f: () => unknown): void } };
    prepare.mock.mockImplementationOnce(() => Promise.reject(new Error('the schema registry did not answer')));
    await assert.rejects(internals.onBatch(scores), /did not answer/);
    await internals.onBatch(scores);
    assert.deepEqual(evaluator.recordsRead(), { scores: 1, labels: 0 });
  });

  it("removes a model's series once it has no final day within the comparison window (rolled back)", async () => {
    const metrics = createEvaluatorMetrics('t');
    const evaluator = new Evaluator({
      topology: parseTopology(topologyText(), 't.yaml', {}),
      log: createLogger({ name: 't', level: 'silent' }),
      metrics,
    });
    const publish = () => (evaluator as unknown as { publish(): Promise<void> }).publish();
    const modelsIn = async () => {
      const found = new Set<string>();
      for (const line of (await metrics.registry.metrics()).split('\n')) {
        const model = /^fraudscore_eval_\w+\{.*model_version="([^"]+)"/.exec(line)?.[1];
        if (model) found.add(model);
      }
      return [...found].sort();
    };
    const add = (i: number, day: number, name: string) =>
      evaluator.join.addPrediction({
        transactionId: `${name}-${day}-${i}`,
        eventTimeMs: day * DAY + i * 1000,
        score: i / 10,
        decision: 'APPROVE',
        modelName: name,
        modelVersion: '1',
        customerId: `c${i}`,
        amount: 10,
      });
    for (let i = 0; i < 10; i++) add(i, D0, 'broken-scores');
    evaluator.join.addLabel({ transactionId: `broken-scores-${D0}-9`, isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    evaluator.join.advance((D0 + 20) * DAY);
    await publish();
    assert.deepEqual(await modelsIn(), ['broken-scores@1']);
    // The champion serves on; 8 final days later (windowDays 7) the rolled-back model's figures are gone.
    for (let day = D0 + 1; day <= D0 + 8; day++) for (let i = 0; i < 10; i++) add(i, day, 'card-fraud');
    evaluator.join.advance((D0 + 30) * DAY);
    await publish();
    assert.deepEqual(await modelsIn(), ['card-fraud@1']);
  });

  it('asks again for a card that was not found, a minute later, and keeps one found', async (t) => {
    let nowMs = 1_000_000;
    const evaluator = new Evaluator({
      topology: parseTopology(topologyText(), 't.yaml', {}),
      log: createLogger({ name: 't', level: 'silent' }),
      metrics: createEvaluatorMetrics('t'),
      clock: () => nowMs,
    });
    for (let i = 0; i < 10; i++) {
      evaluator.join.addPrediction({
        transactionId: `late-${i}`,
        eventTimeMs: D0 * DAY + i * 1000,
        score: i / 10,
        decision: 'APPROVE',
        modelName: 'late-card',
        modelVersion: '1',
        customerId: `c${i}`,
        amount: 10,
      });
    }
    evaluator.join.addLabel({ transactionId: 'late-9', isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    evaluator.join.advance((D0 + 20) * DAY);
    const aucStatus = async () => (await evaluator.status())[0]?.comparisons.find((c) => c.metric === 'auc')?.status;
    assert.equal(await aucStatus(), 'no-expectation', 'not registered yet');

    const model = fakeModel('late-card@1');
    const card = {
      ...makeCard('late-card', '1', model),
      monitoring: {
        epsilon: 1e-4,
        features: {},
        score: { bins: { edges: [], shares: [1] }, sample: [0.5], rows: 'test' },
        expectations: { auc: cardFraudAuc },
      },
    };
    await openFsRegistry(registry).register(
      { model, card: new TextEncoder().encode(JSON.stringify(card)), cardMd: new TextEncoder().encode('# card\n') },
      { champion: true },
    );
    const show = t.mock.method(ModelRegistry.prototype, 'show');
    nowMs += CARD_LOOKUP_RETRY_MS - 1;
    assert.equal(await aucStatus(), 'no-expectation', 'within a minute of the failure: not asked again');
    nowMs += 1;
    assert.equal(await aucStatus(), 'within', 'a minute after: found');
    nowMs += 10 * CARD_LOOKUP_RETRY_MS;
    assert.equal(await aucStatus(), 'within', 'a card found is kept');
    assert.equal(show.mock.callCount(), 1, 'looked up once in all: the found card is kept');
  });
});

describe('Evaluator day finality', () => {
  const HOUR = 3_600_000;
  const SCORES = 'payments.scores';
  const LABELS = 'payments.labels';
  const topologyText = () => readFileSync('topologies/card-payments.yaml', 'utf8');
  const scoreOf = (transactionId: string, eventTimeMs: number) => ({
    transaction_id: transactionId,
    event_time: eventTimeMs,
    model_name: 'card-fraud',
    model_version: '1',
    decision: 'APPROVE',
    score: 0.5,
    features: {},
  });
  const fraudReport = (transactionId: string, reportedAtMs: number) => ({
    transaction_id: transactionId,
    is_fraud: true,
    reported_at: reportedAtMs,
  });
  // Day D0 is final (horizon 10 days) at the start of day D0 + 11.
  const finalMs = (D0 + 11) * DAY;
  const day = Array.from({ length: 10 }, (_, i) => scoreOf(`tx-${i}`, D0 * DAY + i * HOUR));
  /** What the topics hold, in the order each partition was written, and when each batch reached its topic. */
  const deliveries: { atMs: number; topic: string; records: Record<string, unknown>[] }[] = [
    { atMs: D0 * DAY + 12 * HOUR, topic: SCORES, records: day },
    // A producer writing local time for UTC: an event time 12 h ahead of the clock (the contract allows 24 h).
    { atMs: finalMs - 12 * HOUR, topic: SCORES, records: [scoreOf('ahead', finalMs)] },
    {
      atMs: finalMs - 6 * HOUR,
      topic: LABELS,
      records: day.slice(0, 5).map((s) => fraudReport(s.transaction_id, finalMs - 6 * HOUR)),
    },
    { atMs: finalMs + HOUR, topic: SCORES, records: [scoreOf('next', finalMs + HOUR / 2)] },
    // A chargeback file: reports made an hour before the final instant, delivered two hours after it.
    {
      atMs: finalMs + 2 * HOUR,
      topic: LABELS,
      records: day.slice(5).map((s) => fraudReport(s.transaction_id, finalMs - HOUR)),
    },
    { atMs: finalMs + 2 * DAY, topic: SCORES, records: [scoreOf('tick', finalMs + 2 * DAY - HOUR)] },
  ];
  const lastDeliveryMs = deliveries[deliveries.length - 1]!.atMs;

  it('finalises a day on the same evidence read live as after a restart: early scores and late deliveries alike', async (t) => {
    let nowMs = 0;
    const live = evaluatorFor(topologyText(), () => nowMs);
    const liveInternals = decodingJson(t, live);
    for (const { atMs, topic, records } of deliveries) {
      nowMs = atMs;
      await liveInternals.onBatch(batchOf(topic, records));
    }

    // A restart: every partition known to hold records at start, each then read from its beginning to its end.
    const restarted = evaluatorFor(topologyText(), () => nowMs);
    const restartedInternals = decodingJson(t, restarted);
    const streamTime = (restarted as unknown as { streamTime: StreamTime }).streamTime;
    for (const topic of [SCORES, LABELS]) streamTime.expect(partitionKey(topic, 0), true);
    for (const topic of [SCORES, LABELS]) {
      const records = deliveries.filter((d) => d.topic === topic).flatMap((d) => d.records);
      await restartedInternals.onBatch(batchOf(topic, records));
    }

    assert.equal(nowMs, lastDeliveryMs);
    assert.deepEqual(
      live.join.maturedDays().map((d) => [d.day, d.metrics.records, d.metrics.frauds]),
      [[D0, 10, 10]],
      'every report made by the final instant and delivered within the grace counts live',
    );
    assert.equal(live.join.lateLabels, 0);
    assert.deepEqual(restarted.join.maturedDays(), live.join.maturedDays());
    assert.equal(restarted.join.lateLabels, 0);
  });
});
