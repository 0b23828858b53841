import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftMonitor } from '../../../src/adapters/observability/drift-monitor.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../src/adapters/observability/metrics.js';
import type { AvroSerde, DecodeResult } from '../../../src/adapters/registry/serde.js';
import { routesToChallenger, type ServingPlan } from '../../../src/core/control/index.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../../../src/core/contract/limits.js';
import { DAY_MS } from '../../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../src/core/features/memory-state.js';
import type { FeatureEngine, FeatureRow } from '../../../src/core/features/types.js';
import { binnedReference } from '../../../src/core/monitoring/binning.js';
import type { MonitoringReference } from '../../../src/core/monitoring/reference.js';
import type { ConsumedRecord } from '../../../src/runtime/consumed-record.js';
import { createBatchScorer } from '../../../src/runtime/score-batch.js';
import type { ActiveServing } from '../../../src/runtime/serving.js';
import type { ServingModel } from '../../../src/runtime/serving-model.js';

const NOW = Date.UTC(2026, 0, 10);
const TOPICS = { input: 'payments', labels: 'labels', output: 'scores', deadLetter: 'dead-letters' };
const RECORDS = 1000;

const sample = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);
const monitoring: MonitoringReference = {
  epsilon: 1e-4,
  features: { x: binnedReference(sample) },
  score: { bins: binnedReference(sample), sample, rows: 'test' },
};

/** Decoding without a registry: each value's bytes are the JSON of what the decoder answers; encoding writes nothing. */
const serde = {
  prepare: () => Promise.resolve(),
  decodeSync: (bytes: Buffer | null): DecodeResult => JSON.parse(bytes!.toString('utf8')) as DecodeResult,
  encode: () => Buffer.alloc(0),
} as unknown as AvroSerde;

/** One feature, x: the record's index over the batch size (no state, no I/O). */
const engine = {
  schema: { version: 'fs', names: ['x'] },
  retentionMs: 0,
  ingestLabels: () => Promise.resolve(),
  featurize: (batch: readonly unknown[]): Promise<FeatureRow[]> =>
    Promise.resolve(batch.map((_, i) => ({ values: Float64Array.of((i + 0.5) / RECORDS), imputed: [] }))),
  expectAbsorbed: () => undefined,
} as unknown as FeatureEngine;

/** A model that gives every row the same score, with a card carrying a drift reference. */
function model(version: string, score: number): ServingModel {
  return {
    name: 'm',
    version,
    featureSchemaVersion: 'fs',
    monitoring,
    scorer: { score: (_features, rows) => Promise.resolve(new Float32Array(rows).fill(score)), close: async () => {} },
  };
}

function servingOf(plan: ServingPlan, models: readonly ServingModel[]): { current(): ActiveServing } {
  const active: ActiveServing = {
    plan,
    model: (ref) => models.find((m) => `${m.name}@${m.version}` === ref) ?? assert.fail(`no ${ref}`),
  };
  return { current: () => active };
}

const customers = Array.from({ length: RECORDS }, (_, i) => `c${i}`);
const records: ConsumedRecord[] = customers.map((customer, i) => ({
  topic: TOPICS.input,
  partition: 0,
  offset: String(i),
  key: null,
  value: Buffer.from(
    JSON.stringify({
      ok: true,
      schemaId: 1,
      value: {
        transaction_id: `tx-${i}`,
        event_time: NOW - 60_000,
        customer_id: customer,
        terminal_id: 't-1',
        amount: 10,
        currency: 'EUR',
      },
    }),
  ),
}));

describe('scoreBatch: what drift monitoring gets', () => {
  it("in a rollout, puts the challenger's records in the challenger's window and not in the champion's", async () => {
    const champion = model('1', 0.1);
    const challenger = model('2', 0.7);
    const plan: ServingPlan = {
      version: 7,
      decider: 'm@1',
      killed: false,
      challenger: { model: 'm@2', mode: 'rollout', percent: 25, salt: 'salt', stage: 2 },
      window: { maxRecords: RECORDS, maxWaitMs: 1000 },
    };
    const scoreBatch = createBatchScorer({
      serde,
      engine,
      serving: servingOf(plan, [champion, challenger]),
      decision: { blockAt: 0.9, reviewAt: 0.5, fallbackScore: 0.5 },
      topics: TOPICS,
      outputSchemas: { current: () => Promise.resolve({ score: 1, deadLetter: 2 }) },
      clock: () => NOW,
    });
    const { summary } = await scoreBatch(records, 'batch-1');
    const toChallenger = customers.filter((customer) => routesToChallenger('salt', customer, 25)).length;
    assert.ok(toChallenger > 150 && toChallenger < 350, `about a quarter routed, got ${toChallenger}`);
    assert.equal(summary.scored, RECORDS);
    assert.deepEqual(summary.deciding, ['m@1', 'm@2'], 'both models keep their windows');

    const metrics = createPipelineMetrics('t');
    const monitor = new DriftMonitor({
      models: [champion],
      featureNames: ['x'],
      policy: { maxRecords: 2 * RECORDS, maxAgeMs: 60_000, minRecords: 100 },
      metrics,
      log: createLogger({ name: 'test', level: 'silent' }),
      clock: () => NOW,
    });
    monitor.record(summary);
    const snapshots = monitor.snapshots();
    const championWindow = snapshots.get('m@1');
    const challengerWindow = snapshots.get('m@2');
    assert.ok(championWindow?.status === 'ok', 'the champion has its window');
    assert.equal(championWindow.records, RECORDS - toChallenger, "the challenger's records are not the champion's");
    assert.equal(championWindow.quantiles[0.99], Math.fround(0.1), 'only scores the champion published');
    assert.ok(challengerWindow?.status === 'ok', 'the challenger has its own window');
    assert.equal(challengerWindow.records, toChallenger);
    assert.equal(challengerWindow.quantiles[0.1], Math.fround(0.7));
  });

  it('hands the whole batch to the one model that decided it, with no index list', async () => {
    const champion = model('1', 0.1);
    const plan: ServingPlan = {
      version: 1,
      decider: 'm@1',
      killed: false,
      challenger: null,
      window: { maxRecords: RECORDS, maxWaitMs: 1000 },
    };
    const scoreBatch = createBatchScorer({
      serde,
      engine,
      serving: servingOf(plan, [champion]),
      decision: { blockAt: 0.9, reviewAt: 0.5, fallbackScore: 0.5 },
      topics: TOPICS,
      outputSchemas: { current: () => Promise.resolve({ score: 1, deadLetter: 2 }) },
      clock: () => NOW,
    });
    const { summary } = await scoreBatch(records, 'batch-1');
    assert.deepEqual(summary.deciders, [{ model: champion }]);
    assert.equal(summary.scores.length, RECORDS);
  });
});

describe('scoreBatch: duplicate transaction ids', () => {
  it('holds an id against the record that was scored with it, not against one dead-lettered before', async () => {
    const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: 7 * DAY_MS });
    const champion = { ...model('1', 0.1), featureSchemaVersion: engine.schema.version };
    /** Outputs are encoded as their JSON, to be read back. */
    const scoreBatch = createBatchScorer({
      serde: { ...serde, encode: (_id: number, value: unknown) => Buffer.from(JSON.stringify(value)) } as AvroSerde,
      engine,
      serving: servingOf(
        { version: 1, decider: 'm@1', killed: false, challenger: null, window: { maxRecords: 3, maxWaitMs: 1000 } },
        [champion],
      ),
      decision: { blockAt: 0.9, reviewAt: 0.5, fallbackScore: 0.5 },
      topics: TOPICS,
      outputSchemas: { current: () => Promise.resolve({ score: 1, deadLetter: 2 }) },
      clock: () => NOW,
    });
    // tx-7 with an invalid amount, the same payment sent again corrected, then an upstream retry of that one.
    const sent = [-1, 10, 10].map((amount, offset) => ({
      ...(records[0] as ConsumedRecord),
      offset: String(offset),
      value: Buffer.from(
        JSON.stringify({
          ok: true,
          schemaId: 1,
          value: { ...JSON.parse(records[0]!.value!.toString()).value, transaction_id: 'tx-7', amount },
        }),
      ),
    }));
    const outputs: Record<string, unknown>[] = [];
    for (const record of sent) {
      const { outgoing } = await scoreBatch([record], `batch-${record.offset}`);
      for (const [topic, messages] of outgoing.messagesByTopic) {
        for (const message of messages) outputs.push({ topic, ...JSON.parse(message.value!.toString()) });
      }
    }
    assert.deepEqual(
      outputs.map((output) => [output['topic'], output['reason'] ?? 'scored', output['source_offset']]),
      [
        [TOPICS.deadLetter, 'INVALID_AMOUNT', 0],
        [TOPICS.output, 'scored', 1],
        [TOPICS.deadLetter, 'DUPLICATE_TRANSACTION', 2],
      ],
    );
    assert.equal(
      outputs[2]!['detail'],
      `transaction_id tx-7 was already scored from ${TOPICS.input} partition 0 offset 1; that record's outcome stands`,
    );
  });
});

describe('scoreBatch: a Kafka key over the record limit', () => {
  it('dead-letters the record as OVERSIZED_RECORD, with no key on the dead letter: nothing outgrows a message', async () => {
    const scoreBatch = createBatchScorer({
      serde: { ...serde, encode: (_id: number, value: unknown) => Buffer.from(JSON.stringify(value)) } as AvroSerde,
      engine,
      serving: servingOf(
        { version: 1, decider: 'm@1', killed: false, challenger: null, window: { maxRecords: 2, maxWaitMs: 1000 } },
        [model('1', 0.1)],
      ),
      decision: { blockAt: 0.9, reviewAt: 0.5, fallbackScore: 0.5 },
      topics: TOPICS,
      outputSchemas: { current: () => Promise.resolve({ score: 1, deadLetter: 2 }) },
      clock: () => NOW,
    });
    const huge = Buffer.alloc(DEFAULT_MAX_RECORD_BYTES + 1, 'k');
    const sent: ConsumedRecord[] = [
      { ...(records[0] as ConsumedRecord), offset: '0', key: huge },
      { ...(records[1] as ConsumedRecord), offset: '1', key: Buffer.from('c1') },
    ];
    const { outgoing } = await scoreBatch(sent, 'batch-keys');
    const [deadLetter] = outgoing.messagesByTopic.get(TOPICS.deadLetter) ?? [];
    const [scored] = outgoing.messagesByTopic.get(TOPICS.output) ?? [];
    assert.ok(deadLetter && scored, 'one dead letter and one score');
    const letter = JSON.parse(deadLetter.value!.toString()) as Record<string, unknown>;
    assert.equal(letter['reason'], 'OVERSIZED_RECORD');
    assert.equal(
      letter['detail'],
      `key is ${DEFAULT_MAX_RECORD_BYTES + 1} bytes; the limit is ${DEFAULT_MAX_RECORD_BYTES}`,
    );
    assert.equal(letter['source_offset'], 0);
    assert.equal(letter['original_key'], null);
    assert.equal(deadLetter.key, null, 'the key is not carried on');
    assert.equal(String(scored.key), 'c1');
    assert.deepEqual(outgoing.offsets.get(TOPICS.input), new Map([[0, '2']]), 'both offsets consumed');
  });
});

describe('scoreBatch: the newest time taken per stream', () => {
  const labelRecord = (offset: number, reportedAtMs: number): ConsumedRecord => ({
    topic: TOPICS.labels,
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.from(
      JSON.stringify({
        ok: true,
        schemaId: 3,
        value: { transaction_id: `old-${offset}`, is_fraud: true, reported_at: reportedAtMs },
      }),
    ),
  });

  const scorer = () =>
    createBatchScorer({
      serde,
      engine,
      serving: servingOf(
        { version: 1, decider: 'm@1', killed: false, challenger: null, window: { maxRecords: RECORDS, maxWaitMs: 1 } },
        [model('1', 0.1)],
      ),
      decision: { blockAt: 0.9, reviewAt: 0.5, fallbackScore: 0.5 },
      topics: TOPICS,
      outputSchemas: { current: () => Promise.resolve({ score: 1, deadLetter: 2 }) },
      clock: () => NOW,
    });

  it("reports the newest transaction's event time and the newest label's reported_at, whatever their order", async () => {
    const labels = [labelRecord(0, NOW - 5 * 3_600_000), labelRecord(1, NOW - 3_600_000), labelRecord(2, NOW - DAY_MS)];
    const later = {
      ...records[1]!,
      offset: '1000',
      value: Buffer.from(
        records[1]!.value!.toString().replace(`"event_time":${NOW - 60_000}`, `"event_time":${NOW - 1_000}`),
      ),
    };
    const { summary } = await scorer()([...labels, records[0]!, later, records[2]!], 'batch-1');
    assert.equal(summary.newestTakenMs.transactions, NOW - 1_000);
    assert.equal(summary.newestTakenMs.labels, NOW - 3_600_000);
  });

  it('reports −Infinity for a stream the batch held nothing of', async () => {
    const { summary } = await scorer()(records.slice(0, 3), 'batch-1');
    assert.equal(summary.newestTakenMs.transactions, NOW - 60_000);
    assert.equal(summary.newestTakenMs.labels, Number.NEGATIVE_INFINITY);
  });
});
