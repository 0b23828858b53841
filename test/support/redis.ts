/** Redis for integration tests: the local stack's instance (deploy/local/env.sh), or FRAUDSCORE_REDIS_URL. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env['FRAUDSCORE_REDIS_URL'] ?? 'redis://127.0.0.1:16379';

export function connectTestRedis(): Redis {
  // Fail fast with a clear message rather than retrying forever when the stack is not up.
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: false, enableOfflineQueue: true });
}

/** A key prefix no other test (or run) uses. */
export function uniqueKeyPrefix(label: string): string {
  return `fs-test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under the prefix (SCAN, never KEYS: the instance may be shared). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 20_000);
    cursor = next;
    if (keys.length > 0) {
      deleted += await redis.unlink(...keys);
    }
  } while (cursor !== '0');
  return deleted;
}
