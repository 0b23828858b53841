/**
 * `fraudscore state rebuild`, as the person paged by FraudscoreFeatureStateLost runs it: it says how far it is, and
 * stopped (Ctrl-C, SIGTERM) it ends between two batches, writes no absorbed-offset marker (so paused workers stay
 * paused: no worker scores on an incomplete state), and says so with the command that finishes the job; run again,
 * it completes and writes the markers. Real Kafka, registry and Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { deleteFeatureState, readAbsorbed } from '../../../src/adapters/redis/absorbed-marker.js';
import { DAY_MS } from '../../../src/core/features/definitions.js';
import { startCli } from '../../support/cli.js';
import { validEvents } from '../../support/events.js';
import { createTopics, deleteTopics, testKafka, testProducer, testTopology, STACK } from '../../support/stack.js';

const PARTITIONS = 4;
const EVENTS = 200_000;

describe('fraudscore state rebuild (real Kafka, registry, Redis)', () => {
  const { topology, file, topics } = testTopology();
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
  let redis: Redis;

  before(async () => {
    await createTopics(topics, PARTITIONS);
    const producer = await testProducer(topology);
    const events = validEvents(EVENTS, 'rb', Date.UTC(2026, 5, 1));
    await producer.send(
      topology.topics.input,
      events.map((event) => ({
        key: event.customer_id,
        value: producer.serde.encode(producer.transactionSchemaId, event),
      })),
    );
    await producer.send(
      topology.topics.labels,
      events
        .filter((_, i) => i % 50 === 0)
        .map((event) => ({
          key: event.transaction_id,
          value: producer.serde.encode(producer.labelSchemaId, {
            transaction_id: event.transaction_id,
            is_fraud: true,
            reported_at: event.event_time + DAY_MS,
          }),
        })),
    );
    await producer.close();
    // As if workers had scored everything: a rebuild replays up to the group's committed offsets.
    const admin = testKafka().admin();
    await admin.connect();
    try {
      for (const topic of [topology.topics.input, topology.topics.labels]) {
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({
          groupId: topology.consumerGroup,
          topic,
          partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
        });
      }
    } finally {
      await admin.disconnect();
    }
    redis = new Redis(STACK.redisUrl, { maxRetriesPerRequest: 1 });
  });

  after(async () => {
    await deleteFeatureState(redis, topology.redis.keyPrefix);
    redis.disconnect();
    await deleteTopics(topics);
    const admin = testKafka().admin();
    await admin.connect();
    await admin.deleteGroups([topology.consumerGroup]).finally(() => admin.disconnect());
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(
      `stopped with ${signal} mid-replay: no marker written, and it says how to finish`,
      { timeout: 120_000 },
      async () => {
        const run = startCli(['state', 'rebuild', '-t', file]);
        // Off a terminal the first progress line comes with the first batch replayed.
        await run.printed(/state rebuild: transactions \d+%/, 90_000);
        run.child.kill(signal);
        assert.equal(await run.exited, signal === 'SIGINT' ? 130 : 143, run.output());
        assert.match(
          run.output(),
          new RegExp(
            `state rebuild: interrupted \\(${signal}\\): the feature state is incomplete and no worker scores on it: ` +
              'paused workers stay paused until a rebuild completes\\. ' +
              `Run \`fraudscore state rebuild -t ${file.replaceAll('.', '\\.')}\` again\\.`,
          ),
        );
        assert.doesNotMatch(run.output(), /state rebuilt for/);
        assert.deepEqual(await readAbsorbed(redis, topology.redis.keyPrefix, partitions), new Map());
      },
    );
  }

  it('run again, completes and writes every partition’s marker', { timeout: 180_000 }, async () => {
    const run = startCli(['state', 'rebuild', '-t', file]);
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.output(), /state rebuild: labels 100% \(4000 replayed\)/);
    assert.match(run.output(), new RegExp(`state rebuild: transactions 100% \\(${EVENTS} replayed\\)`));
    assert.match(run.output(), new RegExp(`4000 labels and ${EVENTS} transactions replayed`));
    const absorbed = await readAbsorbed(redis, topology.redis.keyPrefix, partitions);
    assert.equal(absorbed.size, PARTITIONS);
    assert.equal(
      [...absorbed.values()].reduce((sum, offset) => sum + offset, 0),
      EVENTS,
      'each partition absorbed to its end',
    );
  });
});
