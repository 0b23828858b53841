import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featurisableBefore, partitionBound } from '../../../../src/core/batch/event-time-alignment.js';

const DAY = 86_400_000;
const policy = { labelDelayMs: 7 * DAY, latenessMs: DAY };

describe('event-time alignment', () => {
  it('lets t through only when t − d precedes every pending input record', () => {
    const horizon = featurisableBefore(policy, [{ lowerBoundMs: 10 * DAY }, { lowerBoundMs: 12 * DAY }], []);
    assert.equal(horizon, 17 * DAY);
  });

  it('lets t through only before every pending label', () => {
    const horizon = featurisableBefore(
      policy,
      [{ lowerBoundMs: 100 * DAY }],
      [{ lowerBoundMs: 5 * DAY }, { lowerBoundMs: 6 * DAY }],
    );
    assert.equal(horizon, 5 * DAY);
  });

  it('holds everything while a partition is unknown, and nothing for caught-up partitions', () => {
    assert.equal(featurisableBefore(policy, [undefined, { lowerBoundMs: 0 }], []), Number.NEGATIVE_INFINITY);
    assert.equal(
      featurisableBefore(
        policy,
        [{ lowerBoundMs: Number.POSITIVE_INFINITY }],
        [{ lowerBoundMs: Number.POSITIVE_INFINITY }],
      ),
      Number.POSITIVE_INFINITY,
    );
  });

  it('bounds a partition by what waits and by what may still arrive late', () => {
    assert.equal(
      partitionBound({ minWaitingMs: 5 * DAY, maxSeenMs: 9 * DAY, caughtUp: false, latenessMs: DAY }).lowerBoundMs,
      5 * DAY,
    );
    assert.equal(
      partitionBound({ minWaitingMs: undefined, maxSeenMs: 9 * DAY, caughtUp: false, latenessMs: DAY }).lowerBoundMs,
      8 * DAY,
    );
    assert.equal(
      partitionBound({ minWaitingMs: 5 * DAY, maxSeenMs: 9 * DAY, caughtUp: true, latenessMs: DAY }).lowerBoundMs,
      5 * DAY,
    );
    assert.equal(
      partitionBound({ minWaitingMs: undefined, maxSeenMs: undefined, caughtUp: true, latenessMs: DAY }).lowerBoundMs,
      Infinity,
    );
    assert.equal(
      partitionBound({ minWaitingMs: undefined, maxSeenMs: undefined, caughtUp: false, latenessMs: DAY }).lowerBoundMs,
      -Infinity,
    );
  });
});
