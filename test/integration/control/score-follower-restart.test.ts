/**
 * The rollout gates' and the shadow report's reader of scores (ScoreFollower) through a restart of its consumer by
 * kafkajs, on the real stack: its group commits nothing, so the restarted consumer reads the output topic from its
 * beginning again, and each score must still count once (a gate counting the live stage's scores twice would pass on
 * half the evidence).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Consumer } from 'kafkajs';
import { ScoreFollower } from '../../../src/lifecycle/score-reader.js';
import type { PipelineContext } from '../../../src/runtime/context.js';
import { failingNextFetch, restartedOnce, watchedKafka } from '../../support/kafkajs-faults.js';
import { lifecycleTopology, scoreRound } from '../../support/lifecycle.js';
import { createTopics, deleteTopics, testProducer, type TestProducer } from '../../support/stack.js';
import { startTestWorker } from '../../support/test-worker.js';

describe('the score follower through a restart of its consumer by kafkajs (real Kafka, registry, Redis)', () => {
  const { topology, topics } = lifecycleTopology({ maxRecords: 200, maxWaitMs: 100 });
  let worker: PipelineContext | undefined;
  let producer: TestProducer | undefined;
  let follower: ScoreFollower | undefined;
  let patch: ReturnType<typeof failingNextFetch> | undefined;

  after(async () => {
    patch?.restore();
    await follower?.stop();
    await worker?.close();
    await producer?.close();
    await deleteTopics(topics);
  });

  it(
    'counts each score once after the restart read the output topic from its beginning again',
    { timeout: 120_000 },
    async () => {
      await createTopics(topics, topology.topics.partitions);
      worker = await startTestWorker(topology);
      producer = await testProducer(topology);
      await scoreRound(producer, topology, { prefix: 'before', count: 400, sentBefore: 0 });

      const { kafka, consumers } = watchedKafka();
      follower = new ScoreFollower(topology, kafka);
      await follower.start();
      await follower.settle();
      assert.equal(follower.streams.scores.length, 400, 'every score read once before the restart');

      const [{ consumer, groupId }] = consumers as [{ groupId: string; consumer: Consumer }];
      const restarted = restartedOnce(consumer);
      patch = failingNextFetch(groupId);
      await restarted;
      // Scores written after the restart are read too, and the ones before it are not counted again.
      await scoreRound(producer, topology, { prefix: 'after', count: 100, sentBefore: 400 });
      await follower.settle();
      const ids = follower.streams.scores.map((score) => score.transactionId);
      assert.equal(ids.length, 500, 'each score counted once: 400 before the restart, 100 after');
      assert.equal(new Set(ids).size, 500);
    },
  );
});
