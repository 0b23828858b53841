import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sha256FirstWord, splitBucket, splitOf } from '../../../src/backfill/split.js';

const reference = (text: string) => hash('sha256', text, 'buffer').readUInt32BE(0);

describe('split', () => {
  it('hashes like node:crypto for short ASCII, long and non-ASCII ids', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 55 }),
          fc.string({ minLength: 56, maxLength: 200 }),
          fc.string({ unit: 'binary' }),
        ),
        (text) => {
          assert.equal(sha256FirstWord(text), reference(text));
        },
      ),
      { numRuns: 3000 },
    );
    for (const length of [0, 1, 54, 55, 56, 64]) {
      const text = 'x'.repeat(length);
      assert.equal(sha256FirstWord(text), reference(text), `length ${length}`);
    }
  });

  it('buckets by the first 4 bytes mod 100: train < 80 <= valid < 90 <= test', () => {
    const counts = { train: 0, valid: 0, test: 0 };
    for (let i = 0; i < 20_000; i++) {
      const id = `tx-${i}`;
      const bucket = reference(id) % 100;
      assert.equal(splitBucket(id), bucket);
      const expected = bucket < 80 ? 'train' : bucket < 90 ? 'valid' : 'test';
      assert.equal(splitOf(id), expected);
      counts[expected]++;
    }
    assert.ok(counts.train > 15_500 && counts.valid > 1_800 && counts.test > 1_800, JSON.stringify(counts));
  });
});
