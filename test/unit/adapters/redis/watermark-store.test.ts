import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBounds, encodeBounds } from '../../../../src/adapters/redis/watermark-store.js';

describe('watermark store encoding', () => {
  it('round-trips lasting bounds and read-to-the-end claims, infinities included', () => {
    const bounds = new Map([
      ['input:0', { lowerBoundMs: 1_767_571_200_000 }],
      ['input:1', { lowerBoundMs: -Infinity, atEnd: { lowerBoundMs: Infinity, endOffset: 0 } }],
      ['labels:0', { lowerBoundMs: 1_767_571_200_123, atEnd: { lowerBoundMs: 1_767_571_200_500, endOffset: 4_211 } }],
    ]);
    const fields = encodeBounds(bounds);
    const hash = Object.fromEntries(fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i]!, fields[i + 1]!]] : [])));
    assert.deepEqual(decodeBounds(hash), bounds);
    assert.equal(hash['input:0@end'], '-', 'a partition not read to its end replaces an earlier claim');
  });

  it('reads a bound published without a claim (an earlier version) as a lasting bound, and drops garbage', () => {
    assert.deepEqual(
      decodeBounds({ 'input:0': 'inf', 'input:1': 'oops', 'labels:0': '5', 'labels:0@end': 'x y' }),
      new Map([
        ['input:0', { lowerBoundMs: Infinity }],
        ['labels:0', { lowerBoundMs: 5 }],
      ]),
    );
  });
});
