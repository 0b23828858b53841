import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlLogContinuity } from '../../../../src/core/control/index.js';

describe('control log continuity', () => {
  it('takes rereads of the same log, compacted or not, as the same log', () => {
    const continuity = new ControlLogContinuity();
    for (const [offset, value] of [
      [0n, 'v1'],
      [1n, 'v2'],
      [2n, null],
      [3n, 'v3'],
    ] as const) {
      assert.equal(continuity.check(offset, value), null);
    }
    // kafkajs restarted the consumer: the log again from its beginning, compaction having removed 0 and 2.
    assert.equal(continuity.check(1n, 'v2'), null);
    assert.equal(continuity.check(3n, 'v3'), null);
    assert.equal(continuity.check(4n, 'v4'), null);
  });

  it('tells a new log by another record at an offset it read', () => {
    const continuity = new ControlLogContinuity();
    continuity.check(0n, 'v1 kill');
    continuity.check(1n, 'v2 off');
    assert.match(continuity.check(0n, 'v1 window') ?? '', /offset 0 holds another record/);
  });

  it('tells a new log by a record below the highest offset read, at an offset it never read', () => {
    // Started after compaction: the old log began at offset 57.
    const continuity = new ControlLogContinuity();
    continuity.check(57n, 'v30');
    continuity.check(58n, 'v31');
    assert.match(continuity.check(0n, 'v1') ?? '', /offset 0 holds a record this reader never read there/);
  });

  it('tells a tombstone from a record at the same offset', () => {
    const continuity = new ControlLogContinuity();
    continuity.check(0n, null);
    continuity.check(1n, 'v1');
    assert.notEqual(continuity.check(0n, 'v1'), null);
  });
});
