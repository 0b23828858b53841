import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { loadTopology } from '../../../src/config/index.js';
import { ScoreFollower } from '../../../src/lifecycle/score-reader.js';

/** A follower whose reader kafkajs stopped for want of its coordinator, as `pending()` says of its reruns. */
function followerWaitingToRunAgain(pending: () => boolean): ScoreFollower {
  const follower = new ScoreFollower(loadTopology('topologies/card-payments.yaml', {}), {} as Kafka);
  (follower as unknown as { reruns: { pending: () => boolean } }).reruns = { pending };
  return follower;
}

describe('ScoreFollower.settle', () => {
  it('does not take the wait before a rerun for the end of the topics, and fails if the rerun never comes', async () => {
    const follower = followerWaitingToRunAgain(() => true);
    await assert.rejects(
      follower.settle(50, 300),
      /lost its group coordinator and has not read to the end again within 0\.3 s .*an ACL\); run the command/,
    );
  });

  it('fails if the reader ran again too late to read to the end before the timeout', async () => {
    let pending = true;
    const follower = followerWaitingToRunAgain(() => pending);
    const internals = follower as unknown as { lastMessageAtMs: number; rejoinedAtMs: number | undefined };
    setTimeout(() => {
      pending = false;
      internals.lastMessageAtMs = internals.rejoinedAtMs = Date.now();
    }, 250);
    await assert.rejects(follower.settle(200, 300), /lost its group coordinator/);
  });

  it('settles once the reader runs again and the topics stay quiet', async () => {
    let pending = true;
    const follower = followerWaitingToRunAgain(() => pending);
    setTimeout(() => (pending = false), 150);
    const started = Date.now();
    await follower.settle(50, 5_000);
    assert.ok(Date.now() - started >= 150, 'settled while the reader still waited to run again');
  });
});
