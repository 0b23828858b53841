import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadPositions } from '../../../../src/adapters/kafka/read-positions.js';

const at = (...offsets: number[]) => offsets.map((offset) => ({ offset: String(offset) }));

/** Uses a delivery as the readers do: what is unread, then noted read once used. */
function use(positions: ReadPositions, key: string, messages: { offset: string }[]) {
  const fresh = positions.unread(key, messages);
  positions.read(key, fresh);
  return fresh;
}

describe('ReadPositions', () => {
  it('passes every message the first time, then only those beyond what was read, per partition', () => {
    const positions = new ReadPositions();
    assert.deepEqual(use(positions, 'scores:0', at(0, 1, 2)), at(0, 1, 2));
    assert.deepEqual(use(positions, 'scores:1', at(0, 1)), at(0, 1), 'another partition has its own position');
    // A rejoin of a group that never commits reads the partition from its beginning again.
    assert.deepEqual(use(positions, 'scores:0', at(0, 1)), []);
    assert.deepEqual(use(positions, 'scores:0', at(2, 3, 4)), at(3, 4));
    assert.deepEqual(use(positions, 'scores:0', []), []);
    assert.deepEqual(use(positions, 'scores:0', at(5)), at(5));
  });

  it('a delivery not noted read (its batch failed before use) is passed again when delivered again', () => {
    const positions = new ReadPositions();
    use(positions, 'labels:0', at(0, 1));
    assert.deepEqual(positions.unread('labels:0', at(2, 3)), at(2, 3)); // the registry did not answer: not read
    assert.deepEqual(use(positions, 'labels:0', at(2, 3)), at(2, 3));
    assert.deepEqual(use(positions, 'labels:0', at(2, 3)), []);
  });

  it('follows offsets a compacted or transactional topic skips (gaps are not waited for)', () => {
    const positions = new ReadPositions();
    assert.deepEqual(use(positions, 'labels:0', at(0, 7, 9)), at(0, 7, 9));
    assert.deepEqual(use(positions, 'labels:0', at(0, 7, 9, 12)), at(12));
  });
});
