import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadPositions } from '../../../../src/adapters/kafka/read-positions.js';

const at = (...offsets: number[]) => offsets.map((offset) => ({ offset: String(offset) }));

describe('ReadPositions', () => {
  it('passes every message the first time, then only those beyond what was read, per partition', () => {
    const positions = new ReadPositions();
    assert.deepEqual(positions.unread('scores:0', at(0, 1, 2)), at(0, 1, 2));
    assert.deepEqual(positions.unread('scores:1', at(0, 1)), at(0, 1), 'another partition has its own position');
    // A rejoin of a group that never commits reads the partition from its beginning again.
    assert.deepEqual(positions.unread('scores:0', at(0, 1)), []);
    assert.deepEqual(positions.unread('scores:0', at(2, 3, 4)), at(3, 4));
    assert.deepEqual(positions.unread('scores:0', []), []);
    assert.deepEqual(positions.unread('scores:0', at(5)), at(5));
  });

  it('follows offsets a compacted or transactional topic skips (gaps are not waited for)', () => {
    const positions = new ReadPositions();
    assert.deepEqual(positions.unread('labels:0', at(0, 7, 9)), at(0, 7, 9));
    assert.deepEqual(positions.unread('labels:0', at(0, 7, 9, 12)), at(12));
  });
});
