import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayFloor } from '../../../src/runtime/replay-floor.js';

const offsets = (next: Record<number, string>) =>
  new Map([['input', new Map(Object.entries(next).map(([partition, offset]) => [Number(partition), offset]))]]);

describe('ReplayFloor', () => {
  it('holds a batch from its scoring until its commit ends, committed', () => {
    const floor = new ReplayFloor();
    assert.equal(floor.floorMs(), Number.POSITIVE_INFINITY);
    floor.recorded('a', 1_000);
    floor.recorded('b', 500);
    assert.equal(floor.floorMs(), 500);
    floor.ended('b', true, offsets({ 0: '10' }));
    assert.equal(floor.floorMs(), 1_000);
    floor.ended('a', true, offsets({ 0: '5' }));
    assert.equal(floor.floorMs(), Number.POSITIVE_INFINITY);
  });

  it('holds a batch not committed until this member committed past every one of its partitions', () => {
    const floor = new ReplayFloor();
    floor.recorded('a', 1_000);
    floor.ended('a', false, offsets({ 0: '3', 1: '7' }));
    assert.equal(floor.floorMs(), 1_000, 'its records are read again');
    floor.committedUpTo(new Map([['input:0', 3n]]));
    assert.equal(floor.floorMs(), 1_000, 'partition 1 not committed again yet');
    floor.committedUpTo(
      new Map([
        ['input:0', 3n],
        ['input:1', 6n],
      ]),
    );
    assert.equal(floor.floorMs(), 1_000, 'offset 6 of partition 1 not yet');
    floor.committedUpTo(
      new Map([
        ['input:0', 4n],
        ['input:1', 7n],
      ]),
    );
    assert.equal(floor.floorMs(), Number.POSITIVE_INFINITY);
  });

  it('forgets batches not committed at a rejoin, also those whose commit ends after it', () => {
    const floor = new ReplayFloor();
    floor.recorded('a', 1_000);
    floor.ended('a', false, offsets({ 0: '3' }));
    floor.recorded('b', 2_000);
    floor.rejoined();
    assert.equal(floor.floorMs(), 2_000, 'a commit under way keeps its floor until it ends');
    floor.ended('b', false, offsets({ 0: '5' }));
    assert.equal(floor.floorMs(), Number.POSITIVE_INFINITY, 'the next owner reads them from the committed offsets');
  });
});
