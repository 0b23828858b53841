/**
 * Invariant 4, model side: a model output that is NaN, ±Infinity or outside [0, 1] is never published. The record gets
 * the topology's fallback score and a reason code, and the Prometheus counter of reason codes counts it.
 *
 * The model is test/fixtures/broken-registry's broken-scores@1 (training/tools/make_broken_model.py): a valid card for
 * the engine's feature schema, but P(fraud) chosen by the amount: 1 -> NaN, 2 -> +Infinity, 3 -> -Infinity,
 * 4 -> 1.5, 5 -> -0.25, anything else -> 0.25. It runs in a real pipeline (Kafka, registry, Redis, onnxruntime).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Topology } from '../../../src/config/index.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { ScoreReasonCode } from '../../../src/core/contract/reasons.js';
import { FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { assertAllScoresFinite, assertExactlyOneOutcome } from '../../support/invariants.js';
import { deleteTopics, readCommitted, testProducer, testTopology, type TestProducer } from '../../support/stack.js';

const FIXTURE_REGISTRY = 'test/fixtures/broken-registry';
const DAY_MS = 86_400_000;
/** What the broken model does with each amount, and the reason code the pipeline must attach. */
const BROKEN: readonly { amount: number; emits: string; code: string }[] = [
  { amount: 1, emits: 'NaN', code: ScoreReasonCode.ModelOutputNonFinite },
  { amount: 2, emits: '+Infinity', code: ScoreReasonCode.ModelOutputNonFinite },
  { amount: 3, emits: '-Infinity', code: ScoreReasonCode.ModelOutputNonFinite },
  { amount: 4, emits: '1.5', code: ScoreReasonCode.ModelOutputOutOfRange },
  { amount: 5, emits: '-0.25', code: ScoreReasonCode.ModelOutputOutOfRange },
];
const USABLE = { amounts: [10, 42.5, 1999.99], score: 0.25 };
const COPIES = 6;

async function reasonCodeCount(pipeline: PipelineContext, code: string): Promise<number> {
  const metric = pipeline.metrics.registry.getSingleMetric('fraudscore_score_reason_codes_total');
  assert.ok(metric, 'the reason-code counter is registered');
  const { values } = await metric.get();
  return values.find((value) => value.labels['code'] === code)?.value ?? 0;
}

describe('a model that emits NaN, ±Infinity and out-of-range scores (real pipeline)', () => {
  const isolated = testTopology({ maxRecords: 200, maxWaitMs: 300 });
  const topology: Topology = {
    ...isolated.topology,
    model: { registry: FIXTURE_REGISTRY, name: 'broken-scores', version: 'champion' },
  };
  let pipeline: PipelineContext;
  let producer: TestProducer;

  before(async () => {
    pipeline = await createPipeline({
      topology,
      instanceId: 'broken-model',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'warn' }),
    });
    void pipeline.runner.start();
    producer = await testProducer(topology);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(isolated.topics);
  });

  it('loads the fixture like any model: its card matches the engine feature schema', () => {
    const card = JSON.parse(readFileSync('test/fixtures/broken-model/card.json', 'utf8')) as Record<string, unknown>;
    assert.equal(card['featureSchemaVersion'], FEATURE_SCHEMA.version);
    assert.deepEqual(pipeline.model, {
      name: 'broken-scores',
      version: '1',
      featureSchemaVersion: FEATURE_SCHEMA.version,
    });
  });

  it('publishes the fallback with MODEL_OUTPUT_NON_FINITE / MODEL_OUTPUT_OUT_OF_RANGE, never the raw output', async () => {
    const { fallbackScore, blockAt, reviewAt } = topology.decision;
    const amounts = [...BROKEN.map((b) => b.amount), ...USABLE.amounts];
    const now = Date.now();
    const events = Array.from({ length: COPIES }, (_, copy) =>
      amounts.map((amount, i) => ({
        transaction_id: `bm-${copy}-${i}`,
        event_time: now - DAY_MS + (copy * amounts.length + i) * 60_000,
        customer_id: `bm-c${i % 5}`,
        terminal_id: `bm-t${copy % 3}`,
        amount,
        currency: 'EUR',
        channel: null,
        merchant_category: null,
        attributes: {},
      })),
    ).flat();
    await producer.send(
      topology.topics.input,
      events.map((event) => ({
        key: event.customer_id,
        value: producer.serde.encode(producer.transactionSchemaId, event),
      })),
    );

    const inputs = await readCommitted([topology.topics.input], (r) => r.length >= events.length, 30_000, {
      raw: true,
    });
    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (r) => r.length >= events.length,
      60_000,
      { settleMs: 500 },
    );
    const scores = outputs.filter((r) => r.topic === topology.topics.output);
    const deadLetters = outputs.filter((r) => r.topic === topology.topics.deadLetter);
    assertExactlyOneOutcome(inputs, scores, deadLetters);
    assert.equal(
      deadLetters.length,
      0,
      'a broken model output is not the record’s fault: it is scored, not dead-lettered',
    );
    assertAllScoresFinite(scores);

    const amountOf = new Map(events.map((e) => [e.transaction_id, e.amount]));
    const expectedDecision = (score: number) => (score >= blockAt ? 'BLOCK' : score >= reviewAt ? 'REVIEW' : 'APPROVE');
    const expectedCounts: Record<string, number> = {};
    for (const record of scores) {
      const id = record.value['transaction_id'] as string;
      const amount = amountOf.get(id);
      const score = record.value['score'] as number;
      const codes = (record.value['reason_codes'] as string[]).filter((code) => code.startsWith('MODEL_OUTPUT_'));
      const broken = BROKEN.find((b) => b.amount === amount);
      if (broken) {
        assert.equal(score, fallbackScore, `${id}: the model emitted ${broken.emits}; the fallback is published`);
        assert.deepEqual(codes, [broken.code], `${id}: flagged ${broken.code}`);
        expectedCounts[broken.code] = (expectedCounts[broken.code] ?? 0) + 1;
      } else {
        assert.ok(USABLE.amounts.includes(amount as number), `${id} was sent`);
        assert.equal(score, USABLE.score, `${id}: a usable output is published as it is`);
        assert.deepEqual(codes, [], `${id}: nothing to flag`);
      }
      assert.equal(record.value['decision'], expectedDecision(score), `${id}: decided on the published score`);
    }
    assert.equal(expectedCounts[ScoreReasonCode.ModelOutputNonFinite], 3 * COPIES);
    assert.equal(expectedCounts[ScoreReasonCode.ModelOutputOutOfRange], 2 * COPIES);

    // The counter is updated once the batch is committed, which read_committed may see a moment earlier.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const nonFinite = await reasonCodeCount(pipeline, ScoreReasonCode.ModelOutputNonFinite);
      const outOfRange = await reasonCodeCount(pipeline, ScoreReasonCode.ModelOutputOutOfRange);
      const counted = { nonFinite, outOfRange };
      const expected = {
        nonFinite: expectedCounts[ScoreReasonCode.ModelOutputNonFinite],
        outOfRange: expectedCounts[ScoreReasonCode.ModelOutputOutOfRange],
      };
      if (Date.now() > deadline || (nonFinite >= expected.nonFinite! && outOfRange >= expected.outOfRange!)) {
        assert.deepEqual(counted, expected, 'fraudscore_score_reason_codes_total counts each flagged score once');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
