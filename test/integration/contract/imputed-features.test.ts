/**
 * Invariant 4, between the feature state and the published score, through the real stack (Kafka, registry, Redis, the
 * demo model in onnxruntime): a feature the engine imputes reaches the published score as FEATURE_IMPUTED:<name>,
 * with the declared default among the logged features, and a position reused by a recreated topic is not mistaken
 * for a replay (which once dropped the current transaction from its own windows: customer_nb_tx_1d = 0).
 *
 * With valid input the v1 features have a value by construction; what makes one non-finite is a damaged state, so
 * the imputation case damages the state in Redis: a customer history record whose amount is NaN.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createRedisFeatureState } from '../../../src/adapters/redis/feature-state.js';
import { ScoreReasonCode } from '../../../src/core/contract/reasons.js';
import { DAY_MS } from '../../../src/core/features/definitions.js';
import { createFeatureEngine, featureStateHorizonMs } from '../../../src/core/features/engine.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { assertAllScoresFinite } from '../../support/invariants.js';
import { deleteKeys } from '../../support/redis.js';
import {
  STACK,
  deleteTopics,
  readCommitted,
  testProducer,
  testTopology,
  type TestProducer,
} from '../../support/stack.js';

const T0 = Date.now() - 2 * DAY_MS;

describe('imputed features and reused positions on the published score (real Kafka, Redis, registry, ONNX)', () => {
  const { topology, topics } = testTopology();
  const labelDelayMs = topology.features.labelDelayDays * DAY_MS;
  let redis: Redis;
  let pipeline: PipelineContext;
  let producer: TestProducer;

  before(async () => {
    redis = new Redis(STACK.redisUrl, { maxRetriesPerRequest: 1 });
    producer = await testProducer(topology);
    // The input topic's partition 0 existed before, under the same key prefix: the state still holds its record at
    // offset 0, of the customer the new topic's first record (also offset 0 of partition 0) belongs to.
    const previous = createFeatureEngine({
      state: createRedisFeatureState(redis, {
        keyPrefix: topology.redis.keyPrefix,
        horizonMs: featureStateHorizonMs(labelDelayMs),
      }),
      labelDelayMs,
    });
    await previous.featurize([
      {
        transactionId: 'before-recreate',
        eventTimeMs: T0 - 10 * DAY_MS,
        customerId: 'c-recreated',
        terminalId: 't-1',
        amountMinor: 12_345,
        currency: 'EUR',
        position: { partition: 0, offset: 0 },
      },
    ]);
    // Damage: a history record with a NaN amount for c-damaged (another partition's position, so it precedes).
    const damaged = Buffer.alloc(32);
    damaged.writeDoubleLE(T0 - 3_600_000, 0);
    damaged.writeDoubleLE(Number.NaN, 8);
    damaged.writeDoubleLE(999, 16);
    damaged.writeDoubleLE(0, 24);
    await redis.append(`${topology.redis.keyPrefix}c:c-damaged`, damaged);

    pipeline = await createPipeline({
      topology,
      instanceId: 'imputed',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'error' }),
    });
    void pipeline.runner.start();
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
    await deleteKeys(redis, topology.redis.keyPrefix);
    redis.disconnect();
  });

  it('publishes the declared default and FEATURE_IMPUTED:<name>, and counts a reused position as a new record', async () => {
    const event = (id: string, customer: string, amount: number) => ({
      key: customer,
      value: producer.serde.encode(producer.transactionSchemaId, {
        transaction_id: id,
        event_time: T0,
        customer_id: customer,
        terminal_id: 't-1',
        amount,
        currency: 'EUR',
      }),
    });
    // One record per partition write, so that after-recreate is at offset 0 of partition 0.
    await producer.send(topology.topics.input, [{ ...event('after-recreate', 'c-recreated', 5), partition: 0 }]);
    await producer.send(topology.topics.input, [event('on-damaged-state', 'c-damaged', 7)]);
    const outputs = await readCommitted([topology.topics.output, topology.topics.deadLetter], (r) => r.length >= 2);
    assert.equal(outputs.length, 2);
    assert.ok(
      outputs.every((r) => r.topic === topology.topics.output),
      'both scored',
    );
    assertAllScoresFinite(outputs);
    const byId = new Map(outputs.map((r) => [r.value['transaction_id'] as string, r.value]));

    const recreated = byId.get('after-recreate')!;
    assert.equal(recreated['source_partition'], 0);
    assert.equal(recreated['source_offset'], 0);
    assert.deepEqual(recreated['reason_codes'], []);
    const features = recreated['features'] as Record<string, number>;
    assert.equal(features['customer_nb_tx_1d'], 1, 'the transaction counts itself');
    assert.equal(features['customer_avg_amount_1d'], 5);
    assert.equal(features['customer_nb_tx_30d'], 2, 'and the older record at the same offset precedes it');
    assert.equal(features['customer_avg_amount_30d'], 12_845 / 2 / 100);

    const damaged = byId.get('on-damaged-state')!;
    const imputed = ['customer_avg_amount_1d', 'customer_avg_amount_7d', 'customer_avg_amount_30d'];
    assert.deepEqual(
      damaged['reason_codes'],
      imputed.map((name) => `${ScoreReasonCode.FeatureImputed}:${name}`),
    );
    const damagedFeatures = damaged['features'] as Record<string, number>;
    for (const name of imputed) assert.equal(damagedFeatures[name], 0, `${name} holds its declared default`);
    assert.equal(damagedFeatures['customer_nb_tx_1d'], 2);
    for (const [name, value] of Object.entries(damagedFeatures))
      assert.ok(Number.isFinite(value), `${name} = ${value}`);
  });
});
