import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { closeWhenIdle } from '../../../src/runtime/close-when-idle.js';
import { fakeServingModel } from '../../support/fake-serving-model.js';

const ROW = new Float32Array(3);

describe('closeWhenIdle', () => {
  it('closes an idle session at once, and only once', async () => {
    const session = fakeServingModel('m@1');
    const scorer = closeWhenIdle(session.scorer);
    await scorer.score(ROW, 1);
    await scorer.close();
    assert.equal(session.closed, 1);
    await scorer.close();
    assert.equal(session.closed, 1, 'a second close does nothing');
  });

  it('closes a session under a run once the run ends, without holding the caller', async () => {
    const session = fakeServingModel('m@1');
    const scorer = closeWhenIdle(session.scorer);
    const letEnd = session.holdRuns();
    const first = scorer.score(ROW, 1);
    const second = scorer.score(ROW, 2);
    await scorer.close();
    assert.equal(session.closed, 0, 'not closed under the runs');
    letEnd();
    assert.deepEqual([(await first).length, (await second).length], [1, 2]);
    await delay(1);
    assert.equal(session.closed, 1, 'closed after the last run');
    assert.equal(session.runsCutShort, 0);
  });

  it('refuses a run asked for after close without touching the session', async () => {
    const session = fakeServingModel('m@1');
    const scorer = closeWhenIdle(session.scorer);
    const letEnd = session.holdRuns();
    const running = scorer.score(ROW, 1);
    await scorer.close();
    const late = scorer.score(ROW, 1);
    letEnd();
    await running;
    await assert.rejects(late, /released/);
    await delay(1);
    assert.equal(session.closed, 1);
    assert.equal(session.runsCutShort, 0);
  });
});
