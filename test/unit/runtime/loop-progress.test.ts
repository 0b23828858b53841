import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoopProgress } from '../../../src/runtime/loop-progress.js';

describe('LoopProgress', () => {
  function withClock() {
    let now = 1_000_000;
    const progress = new LoopProgress(() => now, 300_000);
    return { progress, advance: (ms: number) => (now += ms) };
  }

  it('is stuck once a step has gone on longer than the limit without progress, and says where', () => {
    const { progress, advance } = withClock();
    progress.moved('commit');
    advance(300_000);
    assert.equal(progress.stuckReason(), null, 'at the limit: not yet');
    advance(1);
    assert.equal(progress.stuckReason(), 'batch loop stuck in commit for 300 s without progress');
  });

  it('a retry is progress: the limit counts from it', () => {
    const { progress, advance } = withClock();
    progress.moved('score');
    for (let i = 0; i < 10; i++) {
      advance(200_000);
      progress.moved('score (retrying)');
    }
    assert.equal(progress.stuckReason(), null);
  });

  it('waiting is never stuck, however long', () => {
    const { progress, advance } = withClock();
    progress.waits();
    advance(86_400_000);
    assert.equal(progress.stuckReason(), null);
    progress.moved('take');
    advance(300_001);
    assert.match(progress.stuckReason() ?? '', /stuck in take/);
  });

  it('a loop that never began a step counts from its creation', () => {
    const { progress, advance } = withClock();
    advance(300_001);
    assert.match(progress.stuckReason() ?? '', /stuck in start/);
  });
});
