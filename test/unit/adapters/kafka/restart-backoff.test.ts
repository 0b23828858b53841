import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartBackoff, restartDelayMs } from '../../../../src/adapters/kafka/restart-backoff.js';

describe('restarts of a consumer that keeps crashing', () => {
  it('wait twice as long after each crash in a row, at most 5 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 60].map(restartDelayMs), [250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('wait the shortest time again once a fetch completed', async () => {
    const backoff = new RestartBackoff();
    const waited = async () => {
      const started = performance.now();
      assert.equal(await backoff.restartOnFailure(), true);
      return performance.now() - started;
    };
    await waited();
    const second = await waited();
    assert.ok(second >= 450, `the second crash in a row waited ${second} ms`);
    backoff.fetched();
    const afterFetch = await waited();
    assert.ok(afterFetch < 450, `after a fetch the wait was ${afterFetch} ms`);
    assert.equal(backoff.restartCount(), 3);
  });

  it('end a pending wait when released, and wait no more after', async () => {
    const backoff = new RestartBackoff();
    for (let i = 0; i < 5; i++) backoff.fetched();
    await backoff.restartOnFailure();
    await backoff.restartOnFailure();
    const started = performance.now();
    const restart = backoff.restartOnFailure();
    await backoff.release();
    assert.equal(await restart, true);
    assert.equal(await backoff.restartOnFailure(), true);
    assert.ok(performance.now() - started < 200, 'the 1 s wait ended at the release');
  });
});
