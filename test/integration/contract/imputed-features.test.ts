/**
 * Invariant 4, between the engine and the output: a feature the engine imputed reaches the published score as the
 * reason code FEATURE_IMPUTED:<name>, with the imputed (default) value among the logged features. createBatchScorer
 * runs with the real serde and registry and the demo model; the engine is a small fake first (to choose exactly what
 * is imputed), then the real one on the memory state, in the situation that empties a window.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import { createAvroSerde, type AvroSerde } from '../../../src/adapters/registry/serde.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import type { LabelEvent, PositionedTransaction } from '../../../src/core/contract/events.js';
import { ScoreReasonCode } from '../../../src/core/contract/reasons.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../src/core/features/memory-state.js';
import type { FeatureEngine, FeatureRow } from '../../../src/core/features/types.js';
import type { ConsumedRecord } from '../../../src/runtime/consumed-record.js';
import { registerContractSchemas } from '../../../src/runtime/context.js';
import { loadServingModel } from '../../../src/runtime/load-model.js';
import { staticServing } from '../../../src/runtime/serving.js';
import { createBatchScorer, type ServingModel } from '../../../src/runtime/score-batch.js';
import { registerSchema, wire } from '../../support/hostile-payloads.js';
import { STACK, testTopology } from '../../support/stack.js';

const NOW_MS = Date.UTC(2026, 3, 1, 12);
const T0 = NOW_MS - 20 * DAY_MS;
const NAMES = FEATURE_SCHEMA.names;

/** A fake engine: row i gets the values i + 0.5 and, for odd i, two features reported as imputed (with value 0). */
function fakeEngine(imputedNames: readonly string[]): FeatureEngine & { seen: PositionedTransaction[] } {
  const seen: PositionedTransaction[] = [];
  return {
    seen,
    schema: FEATURE_SCHEMA,
    retentionMs: 38 * DAY_MS,
    featurize(batch: readonly PositionedTransaction[]): Promise<FeatureRow[]> {
      seen.push(...batch);
      return Promise.resolve(
        batch.map((_, i) => {
          const imputed = i % 2 === 1 ? imputedNames : [];
          const values = Float64Array.from(NAMES, (name) => (imputed.includes(name) ? 0 : i + 0.5));
          return { values, imputed };
        }),
      );
    },
    ingestLabels(_labels: readonly LabelEvent[]): Promise<void> {
      return Promise.resolve();
    },
  };
}

describe('imputed features on the published score', () => {
  const { topology } = testTopology();
  let serde: AvroSerde;
  let model: ServingModel;
  let outputIds: { score: number; deadLetter: number };
  let transactionId: number;
  const transactionType = avro.Type.forSchema(readContractSchema('transaction') as avro.Schema);

  const record = (id: string, eventTimeMs: number, offset: number, customer = 'c-1'): ConsumedRecord => ({
    topic: topology.topics.input,
    partition: 0,
    offset: String(offset),
    key: Buffer.from(customer),
    value: wire(
      transactionId,
      transactionType.toBuffer({
        transaction_id: id,
        event_time: eventTimeMs,
        customer_id: customer,
        terminal_id: 't-1',
        amount: 5,
        currency: 'EUR',
        channel: null,
        merchant_category: null,
        attributes: {},
      }),
    ),
  });

  const scorerWith = (engine: FeatureEngine) =>
    createBatchScorer({
      serde,
      engine,
      serving: staticServing(model),
      decision: topology.decision,
      topics: topology.topics,
      outputSchemas: { current: () => Promise.resolve(outputIds) },
      clock: () => NOW_MS,
    });

  async function published(messages: readonly { value: Buffer | string | null }[]) {
    const values: Record<string, unknown>[] = [];
    for (const message of messages) {
      const decoded = await serde.decode(message.value as Buffer);
      assert.ok(decoded.ok);
      values.push(decoded.value);
    }
    return values;
  }

  before(async () => {
    serde = createAvroSerde({ url: STACK.registryUrl });
    outputIds = await registerContractSchemas(serde, topology);
    const registered = await registerSchema(`${topology.topics.input}-value`, readContractSchema('transaction'));
    transactionId = registered.id as number;
    model = await loadServingModel(topology, FEATURE_SCHEMA);
  });

  after(async () => {
    await model?.scorer.close();
  });

  it('turns each imputed feature into FEATURE_IMPUTED:<name>, and counts them in the batch summary', async () => {
    const imputedNames = ['customer_avg_amount_1d', 'terminal_risk_7d'];
    const engine = fakeEngine(imputedNames);
    const records = Array.from({ length: 6 }, (_, i) => record(`imp-${i}`, T0 + i * 60_000, i));
    const { outgoing, summary } = await scorerWith(engine)(records, 'imputed-1');
    assert.equal(engine.seen.length, 6, 'every record reached the engine');
    const scores = await published(outgoing.messagesByTopic.get(topology.topics.output) ?? []);
    assert.equal(scores.length, 6);
    scores.forEach((score, i) => {
      const codes = (score['reason_codes'] as string[]).filter((code) =>
        code.startsWith(ScoreReasonCode.FeatureImputed),
      );
      const expected = i % 2 === 1 ? imputedNames.map((name) => `${ScoreReasonCode.FeatureImputed}:${name}`) : [];
      assert.deepEqual(codes, expected, `imp-${i}: reason codes`);
      const features = score['features'] as Record<string, number>;
      for (const name of NAMES) {
        assert.equal(features[name], i % 2 === 1 && imputedNames.includes(name) ? 0 : i + 0.5, `imp-${i}.${name}`);
      }
      const value = score['score'] as number;
      assert.ok(Number.isFinite(value) && value >= 0 && value <= 1);
    });
    // The summary (and so fraudscore_score_reason_codes_total) counts the code without its feature name.
    assert.equal(summary.reasonCodes[ScoreReasonCode.FeatureImputed], 3 * imputedNames.length);
  });

  it('flags the real engine imputation (an emptied window) on the score it publishes', async () => {
    const engine = createFeatureEngine({
      state: createMemoryFeatureState(),
      labelDelayMs: topology.features.labelDelayDays * DAY_MS,
    });
    const score = scorerWith(engine);
    // Offset 0 twice: the input topic was deleted and created again (offsets restart) while the state kept the
    // customer's history. The second record's 1- and 7-day windows are empty, so their means are imputed.
    const first = await score([record('before-recreate', T0, 0, 'c-recreated')], 'recreate-1');
    const [firstScore] = await published(first.outgoing.messagesByTopic.get(topology.topics.output) ?? []);
    assert.deepEqual(firstScore!['reason_codes'], []);

    const second = await score([record('after-recreate', T0 + 10 * DAY_MS, 0, 'c-recreated')], 'recreate-2');
    const [secondScore] = await published(second.outgoing.messagesByTopic.get(topology.topics.output) ?? []);
    assert.equal(secondScore!['transaction_id'], 'after-recreate');
    assert.deepEqual(secondScore!['reason_codes'], [
      `${ScoreReasonCode.FeatureImputed}:customer_avg_amount_1d`,
      `${ScoreReasonCode.FeatureImputed}:customer_avg_amount_7d`,
    ]);
    const features = secondScore!['features'] as Record<string, number>;
    assert.equal(features['customer_avg_amount_1d'], 0, 'the declared default');
    assert.equal(features['customer_avg_amount_7d'], 0, 'the declared default');
    for (const [name, value] of Object.entries(features)) assert.ok(Number.isFinite(value), `${name} = ${value}`);
    assert.ok(Number.isFinite(secondScore!['score'] as number));
  });
});
