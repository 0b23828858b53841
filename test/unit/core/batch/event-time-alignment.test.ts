import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featurisableBefore, partitionBound, resolveBound } from '../../../../src/core/batch/event-time-alignment.js';

const DAY = 86_400_000;
const policy = { labelDelayMs: 7 * DAY, latenessMs: DAY };

describe('event-time alignment', () => {
  it('lets t through only when t − d precedes every pending input record', () => {
    assert.equal(featurisableBefore(policy, [10 * DAY, 12 * DAY], []), 17 * DAY);
  });

  it('lets t through only before every pending label', () => {
    assert.equal(featurisableBefore(policy, [100 * DAY], [5 * DAY, 6 * DAY]), 5 * DAY);
  });

  it('holds everything while a partition is unknown, and nothing for partitions holding nothing back', () => {
    assert.equal(featurisableBefore(policy, [resolveBound(undefined, 3), 0], []), Number.NEGATIVE_INFINITY);
    assert.equal(featurisableBefore(policy, [Infinity], [Infinity]), Infinity);
  });

  it('bounds a partition by what waits and by what may still arrive late', () => {
    const bound = (minWaitingMs: number | undefined, maxSeenMs: number | undefined, endOffset?: number) =>
      partitionBound({ minWaitingMs, maxSeenMs, endOffset, latenessMs: DAY });
    assert.deepEqual(bound(5 * DAY, 9 * DAY), { lowerBoundMs: 5 * DAY });
    assert.deepEqual(bound(undefined, 9 * DAY), { lowerBoundMs: 8 * DAY });
    assert.deepEqual(bound(undefined, undefined), { lowerBoundMs: -Infinity });
    // Read to its end: the claim for while it ends there is what waits, or nothing.
    assert.deepEqual(bound(5 * DAY, 9 * DAY, 40), {
      lowerBoundMs: 5 * DAY,
      atEnd: { lowerBoundMs: 5 * DAY, endOffset: 40 },
    });
    assert.deepEqual(bound(undefined, undefined, 0), {
      lowerBoundMs: -Infinity,
      atEnd: { lowerBoundMs: Infinity, endOffset: 0 },
    });
  });

  it('uses a read-to-the-end claim only while the partition still ends where it was read to', () => {
    const claimed = { lowerBoundMs: 8 * DAY, atEnd: { lowerBoundMs: Infinity, endOffset: 40 } };
    assert.equal(resolveBound(claimed, 40), Infinity, 'nothing produced since');
    assert.equal(resolveBound(claimed, 41), 8 * DAY, 'a record produced since may be older than anything waiting');
    assert.equal(resolveBound(claimed, undefined), 8 * DAY, 'no end offset read: the lasting bound');
    assert.equal(resolveBound({ lowerBoundMs: 8 * DAY }, 40), 8 * DAY, 'no claim');
  });
});
