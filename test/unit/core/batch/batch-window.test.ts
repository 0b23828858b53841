import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeReason, untilExpiry } from '../../../../src/core/batch/batch-window.js';

describe('batch window', () => {
  const policy = { maxRecords: 100, maxWaitMs: 30_000 };

  it('closes on size exactly at maxRecords', () => {
    assert.equal(closeReason(policy, { waiting: 99, oldestArrivalMs: 0 }, 5), undefined);
    assert.equal(closeReason(policy, { waiting: 100, oldestArrivalMs: 0 }, 5), 'size');
    assert.equal(closeReason(policy, { waiting: 5000, oldestArrivalMs: 0 }, 5), 'size');
  });

  it('closes on time maxWaitMs after the oldest waiting record arrived', () => {
    const intake = { waiting: 1, oldestArrivalMs: 1_000 };
    assert.equal(untilExpiry(policy, intake, 1_000), 30_000);
    assert.equal(closeReason(policy, intake, 30_999), undefined);
    assert.equal(closeReason(policy, intake, 31_000), 'time');
    assert.equal(untilExpiry(policy, intake, 40_000), 0);
  });

  it('size wins over time when both hold', () => {
    assert.equal(closeReason(policy, { waiting: 100, oldestArrivalMs: 0 }, 60_000), 'size');
  });

  it('closes a drained intake at minRecords, never below it, and not before the partitions are read to their ends', () => {
    const live = { ...policy, minRecords: 10 };
    assert.equal(closeReason(live, { waiting: 9, oldestArrivalMs: 0, drained: true }, 5), undefined);
    assert.equal(closeReason(live, { waiting: 10, oldestArrivalMs: 0, drained: true }, 5), 'drained');
    assert.equal(closeReason(live, { waiting: 50, oldestArrivalMs: 0, drained: false }, 5), undefined);
    assert.equal(
      closeReason(policy, { waiting: 50, oldestArrivalMs: 0, drained: true }, 5),
      undefined,
      'no minRecords',
    );
    assert.equal(closeReason(live, { waiting: 100, oldestArrivalMs: 0, drained: true }, 5), 'size');
    assert.equal(closeReason(live, { waiting: 9, oldestArrivalMs: 0, drained: true }, 30_000), 'time');
  });

  it('never closes or expires an empty intake', () => {
    const empty = { waiting: 0, oldestArrivalMs: undefined };
    assert.equal(closeReason(policy, empty, 1_000_000), undefined);
    assert.equal(untilExpiry(policy, empty, 0), undefined);
  });
});
