import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../../../src/simulate/token-bucket.js';

describe('TokenBucket', () => {
  it('lets a burst through, then asks to wait for the debt at the configured rate', () => {
    const bucket = new TokenBucket(100, 10, 0);
    for (let i = 0; i < 10; i++) assert.equal(bucket.take(1, 0), 0);
    assert.equal(bucket.take(1, 0), 10, 'one token of debt at 100/s = 10 ms');
    assert.equal(bucket.take(1, 0), 20);
    assert.equal(bucket.take(1, 20), 10, '20 ms later two tokens were earned');
  });

  it('paces a long run to the rate', () => {
    const bucket = new TokenBucket(1_000, 1, 0);
    let now = 0;
    for (let i = 0; i < 5_000; i++) now += bucket.take(1, now);
    assert.ok(Math.abs(now - 5_000) <= 1, `5,000 tokens at 1,000/s took ${now} ms`);
  });

  it('caps saved-up tokens at the burst size', () => {
    const bucket = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) assert.equal(bucket.take(1, 60_000), 0);
    assert.ok(bucket.take(1, 60_000) > 0);
  });

  it('ignores a clock going backwards and rejects nonsense rates', () => {
    const bucket = new TokenBucket(10, 1, 1_000);
    assert.equal(bucket.take(1, 1_000), 0);
    assert.equal(bucket.take(1, 500), 100);
    assert.throws(() => new TokenBucket(0, 1, 0), RangeError);
    assert.throws(() => new TokenBucket(Number.NaN, 1, 0), RangeError);
  });
});
