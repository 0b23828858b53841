/**
 * The same transaction twice (an upstream producer's retry), through the real stack: the first occurrence is
 * scored, every repeat within the duplicate horizon gets the dead letter DUPLICATE_TRANSACTION naming the first
 * occurrence's partition and offset, and the repeats change no feature state (the customer's next transaction counts
 * the retried one once).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { DeadLetterReason } from '../../../src/core/contract/reasons.js';
import { DAY_MS } from '../../../src/core/features/definitions.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { assertExactlyOneOutcome } from '../../support/invariants.js';
import { deleteKeys, connectTestRedis } from '../../support/redis.js';
import { deleteTopics, readCommitted, testProducer, testTopology, type TestProducer } from '../../support/stack.js';

const T0 = Date.now() - DAY_MS;

describe('duplicate transactions (real Kafka, Redis, registry, ONNX)', () => {
  const { topology, topics } = testTopology();
  let pipeline: PipelineContext;
  let producer: TestProducer;

  before(async () => {
    pipeline = await createPipeline({
      topology,
      instanceId: 'duplicates',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'error' }),
    });
    void pipeline.runner.start();
    producer = await testProducer(topology);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
    const redis = connectTestRedis();
    await deleteKeys(redis, topology.redis.keyPrefix);
    redis.disconnect();
  });

  it('scores the first occurrence, dead-letters each retry naming it, and counts it once in the windows', async () => {
    const message = (id: string, eventTimeMs: number, amount: number) => ({
      key: 'c-dup',
      value: producer.serde.encode(producer.transactionSchemaId, {
        transaction_id: id,
        event_time: eventTimeMs,
        customer_id: 'c-dup',
        terminal_id: 't-dup',
        amount,
        currency: 'EUR',
      }),
    });
    // A retry in the same producer batch, and one a batch later (a minute later in event time: the retry of a
    // record whose producer re-stamped it).
    await producer.send(topology.topics.input, [message('tx-a', T0, 10), message('tx-a', T0, 10)]);
    await producer.send(topology.topics.input, [message('tx-a', T0 + 60_000, 10), message('tx-b', T0 + 120_000, 30)]);

    const inputs = await readCommitted([topology.topics.input], (r) => r.length >= 4, 30_000, { raw: true });
    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (r) => r.length >= 4,
      60_000,
      { settleMs: 1_000 },
    );
    const scores = outputs.filter((r) => r.topic === topology.topics.output);
    const deadLetters = outputs.filter((r) => r.topic === topology.topics.deadLetter);
    assertExactlyOneOutcome(inputs, scores, deadLetters);
    assert.deepEqual(scores.map((r) => r.value['transaction_id']).sort(), ['tx-a', 'tx-b']);
    const first = scores.find((r) => r.value['transaction_id'] === 'tx-a')!;
    assert.equal(first.value['source_offset'], Math.min(...inputs.map((r) => Number(r.offset))), 'the first one');

    assert.equal(deadLetters.length, 2);
    for (const letter of deadLetters) {
      assert.equal(letter.value['reason'], DeadLetterReason.DuplicateTransaction);
      assert.equal(letter.value['transaction_id'], 'tx-a');
      assert.match(
        letter.value['detail'] as string,
        new RegExp(
          `partition ${String(first.value['source_partition'])} offset ${String(first.value['source_offset'])}\\b`,
        ),
      );
    }
    const features = scores.find((r) => r.value['transaction_id'] === 'tx-b')!.value['features'] as Record<
      string,
      number
    >;
    assert.equal(features['customer_nb_tx_1d'], 2, 'tx-a once, and tx-b');
    assert.equal(features['customer_avg_amount_1d'], 20);
  });
});
