import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createRedisWatermarkStore } from '../../../../src/adapters/redis/watermark-store.js';
import { connectTestRedis, deleteKeys, uniqueKeyPrefix } from '../../../support/redis.js';

describe('watermark store (real Redis)', () => {
  let redis: Redis;
  const prefix = uniqueKeyPrefix('watermarks');
  const key = `${prefix}watermarks:group`;

  before(() => {
    redis = connectTestRedis();
  });
  after(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it("each worker's exchange publishes its partitions' bounds and reads everyone's, its own included", async () => {
    const first = createRedisWatermarkStore(redis, key);
    const second = createRedisWatermarkStore(redis, key);
    assert.deepEqual(await first.readAll(), new Map());

    const seenByFirst = await first.exchange(
      new Map([
        ['tx:0', { lowerBoundMs: 1_000 }],
        ['tx:1', { lowerBoundMs: Number.NEGATIVE_INFINITY }],
      ]),
    );
    assert.deepEqual(
      seenByFirst,
      new Map([
        ['tx:0', { lowerBoundMs: 1_000 }],
        ['tx:1', { lowerBoundMs: Number.NEGATIVE_INFINITY }],
      ]),
    );

    const seenBySecond = await second.exchange(
      new Map([['tx:2', { lowerBoundMs: 900, atEnd: { lowerBoundMs: Number.POSITIVE_INFINITY, endOffset: 41 } }]]),
    );
    assert.deepEqual(
      seenBySecond,
      new Map([
        ['tx:0', { lowerBoundMs: 1_000 }],
        ['tx:1', { lowerBoundMs: Number.NEGATIVE_INFINITY }],
        ['tx:2', { lowerBoundMs: 900, atEnd: { lowerBoundMs: Number.POSITIVE_INFINITY, endOffset: 41 } }],
      ]),
    );

    // A later exchange replaces the worker's own bounds (its claim lapses) and still sees the other's.
    const again = await second.exchange(new Map([['tx:2', { lowerBoundMs: 1_500 }]]));
    assert.deepEqual(again.get('tx:2'), { lowerBoundMs: 1_500 });
    assert.deepEqual(again.get('tx:0'), { lowerBoundMs: 1_000 });
    // Nothing to publish: a read.
    assert.deepEqual(await first.exchange(new Map()), again);
  });
});
