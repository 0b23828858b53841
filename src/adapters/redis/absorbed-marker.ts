import type { Redis } from 'ioredis';

/**
 * The absorbed-offset marker of the Redis feature state: hash `<prefix>absorbed`, field = input partition, value =
 * the next input offset the state has absorbed. The batch script (feature-state-scripts.ts) checks and advances it
 * together with the batch's state updates; these helpers read it (a worker's check at partition assignment) and set
 * it (the end of `fraudscore state rebuild`). No TTL: a missing marker means lost state.
 */
export const ABSORBED_KEY = 'absorbed';

/** The marker per partition asked; a partition without one is missing from the map. */
export async function readAbsorbed(
  redis: Redis,
  keyPrefix: string,
  partitions: readonly number[],
): Promise<Map<number, number>> {
  const absorbed = new Map<number, number>();
  if (partitions.length === 0) return absorbed;
  const values = await redis.hmget(`${keyPrefix}${ABSORBED_KEY}`, ...partitions.map(String));
  partitions.forEach((partition, i) => {
    const value = values[i];
    if (value !== null && value !== undefined) absorbed.set(partition, Number(value));
  });
  return absorbed;
}

export async function writeAbsorbed(
  redis: Redis,
  keyPrefix: string,
  offsets: ReadonlyMap<number, number>,
): Promise<void> {
  if (offsets.size === 0) return;
  const fields: string[] = [];
  for (const [partition, offset] of offsets) fields.push(String(partition), String(offset));
  await redis.hset(`${keyPrefix}${ABSORBED_KEY}`, ...fields);
}

/**
 * Deletes every key under the prefix (SCAN + UNLINK, never KEYS: the instance may be shared), the marker first, so
 * that a worker racing the deletion finds it missing and pauses rather than scoring on a half-deleted state.
 */
export async function deleteFeatureState(redis: Redis, keyPrefix: string): Promise<number> {
  let deleted = await redis.unlink(`${keyPrefix}${ABSORBED_KEY}`);
  const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
