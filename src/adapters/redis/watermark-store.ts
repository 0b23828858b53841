import type { Redis } from 'ioredis';

/**
 * Where the workers of a consumer group share their partitions' lower bounds (see core/batch/event-time-alignment):
 * one Redis hash, field "<topic>:<partition>", value the bound in epoch ms ("inf" / "-inf" for the infinities).
 * Each partition has one owner at a time, so a plain HSET is enough; a stale value left by a previous owner is still
 * a true lower bound (what it claims to be in the state stays in the state).
 */
export interface WatermarkStore {
  publish(bounds: ReadonlyMap<string, number>): Promise<void>;
  readAll(): Promise<Map<string, number>>;
}

function encode(value: number): string {
  return value === Number.POSITIVE_INFINITY ? 'inf' : value === Number.NEGATIVE_INFINITY ? '-inf' : String(value);
}

function decode(text: string): number {
  return text === 'inf' ? Number.POSITIVE_INFINITY : text === '-inf' ? Number.NEGATIVE_INFINITY : Number(text);
}

export function createRedisWatermarkStore(redis: Redis, key: string): WatermarkStore {
  return {
    async publish(bounds) {
      if (bounds.size === 0) return;
      const fields: string[] = [];
      for (const [field, value] of bounds) fields.push(field, encode(value));
      await redis.hset(key, ...fields);
    },
    async readAll() {
      const raw = await redis.hgetall(key);
      return new Map(Object.entries(raw).map(([field, text]) => [field, decode(text)]));
    },
  };
}
