import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamTime } from '../../../../src/core/monitoring/stream-time.js';

describe('StreamTime', () => {
  it('holds back for the partition read least far, and for one with records of which none is read yet', () => {
    const time = new StreamTime();
    time.expect('output:0', true);
    time.expect('output:1', true);
    time.read('output:0', [100, 900, 500], false);
    assert.equal(time.ms, Number.NEGATIVE_INFINITY, 'output:1 has records and none is read yet');
    time.read('output:1', [200], false);
    assert.equal(time.ms, 200, 'output:1 lags behind output:0');
    time.read('output:1', [300], false);
    assert.equal(time.ms, 300);
    assert.equal(time.caughtUp(), false);
  });

  it('is held back by no partition without records or read to its end, and is the latest time read once all are', () => {
    const time = new StreamTime();
    time.expect('output:0', true);
    time.expect('labels:0', false);
    assert.equal(time.caughtUp(), false);
    time.read('output:0', [100, 400], false);
    assert.equal(time.ms, 400, 'the empty labels partition holds nothing back');
    time.read('output:1', [50], true);
    assert.equal(time.ms, 400, 'a partition read to its end holds nothing back');
    time.read('output:0', [700], true);
    assert.equal(time.ms, 700);
    assert.equal(time.caughtUp(), true);
    // A batch without records (only transaction markers) can bring a partition to its end too.
    time.read('labels:1', [], false);
    assert.equal(time.caughtUp(), false);
    time.read('labels:1', [], true);
    assert.equal(time.caughtUp(), true);
  });

  it('never goes back, and ignores times that are not finite', () => {
    const time = new StreamTime();
    time.read('output:0', [1_000, Number.NaN], true);
    assert.equal(time.ms, 1_000);
    // A partition read to its end gets older records later: what was final stays final.
    time.read('output:1', [10], false);
    assert.equal(time.ms, 1_000);
    time.read('output:1', [Number.POSITIVE_INFINITY, 2_000], true);
    assert.equal(time.ms, 2_000);
  });

  it('given a bound, lets no time beyond it move stream time, and counts those it ignored', () => {
    let clockMs = 1_000;
    const time = new StreamTime({ latestPlausibleMs: () => clockMs + 100 });
    time.expect('labels:0', true);
    assert.equal(time.read('labels:0', [900, 1_000_000, 1_100], true), 1);
    assert.equal(time.ms, 1_100, 'the far-future time is not the latest read');
    // Asked at each read: once the clock has moved, a time then plausible counts.
    clockMs = 5_000;
    assert.equal(time.read('labels:0', [5_050], true), 0);
    assert.equal(time.ms, 5_050);
  });
});
