import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { firstAbove, sameIds } from '../../../../src/core/features/ordered-search.js';

describe('ordered search', () => {
  it('finds the first value above, as a scan would, in plain and strided ascending values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }),
        fc.integer({ min: -5, max: 55 }),
        (unsorted, value) => {
          const sorted = [...unsorted].sort((a, b) => a - b);
          const scan = sorted.findIndex((each) => each > value);
          const expected = scan === -1 ? sorted.length : scan;
          assert.equal(firstAbove(sorted, 0, sorted.length, value), expected);
          // The same values as field 1 of two-value records, in a typed array.
          const records = Float64Array.from(sorted.flatMap((each) => [-1, each]));
          assert.equal(firstAbove(records, 0, sorted.length, value, 2, 1), expected);
        },
      ),
    );
  });

  it('compares id lists by order and content', () => {
    assert.equal(sameIds(['a', 'b'], ['a', 'b']), true);
    assert.equal(sameIds(['a', 'b'], ['b', 'a']), false);
    assert.equal(sameIds(['a'], ['a', 'b']), false);
  });
});
