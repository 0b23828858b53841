import type { Redis } from 'ioredis';
import type { PartitionBound } from '../../core/batch/event-time-alignment.js';

/**
 * Where the workers of a consumer group share their partitions' lower bounds (see core/batch/event-time-alignment):
 * one Redis hash. Field "<topic>:<partition>": the lasting bound in epoch ms ("inf" / "-inf" for the infinities);
 * field "<topic>:<partition>@end": "<bound> <end offset>", the claim that holds while the partition ends at that offset,
 * or "-" when its owner has not read it to its end. Each partition has one owner at a time, so a plain HSET is enough;
 * values left by a previous owner stay true (what they claim to be in the state stays in the state, and a claim tied
 * to an end offset lapses when the partition grows).
 */
export interface WatermarkStore {
  readAll(): Promise<Map<string, PartitionBound>>;
  /** Publishes this worker's bounds and reads everyone's, in one round trip: what is read includes what was written. */
  exchange(bounds: ReadonlyMap<string, PartitionBound>): Promise<Map<string, PartitionBound>>;
}

const AT_END_SUFFIX = '@end';
const NO_CLAIM = '-';

function encode(value: number): string {
  return value === Number.POSITIVE_INFINITY ? 'inf' : value === Number.NEGATIVE_INFINITY ? '-inf' : String(value);
}

function decode(text: string): number {
  return text === 'inf' ? Number.POSITIVE_INFINITY : text === '-inf' ? Number.NEGATIVE_INFINITY : Number(text);
}

/** The hash's fields as bounds; a field that does not parse is dropped (its partition is then unknown: it waits). */
export function decodeBounds(raw: Readonly<Record<string, string>>): Map<string, PartitionBound> {
  const bounds = new Map<string, PartitionBound>();
  for (const [field, text] of Object.entries(raw)) {
    if (field.endsWith(AT_END_SUFFIX)) continue;
    const lowerBoundMs = decode(text);
    if (Number.isNaN(lowerBoundMs)) continue;
    const [claimMs, endOffset] = (raw[field + AT_END_SUFFIX] ?? NO_CLAIM).split(' ').map(decode);
    bounds.set(
      field,
      claimMs === undefined || endOffset === undefined || Number.isNaN(claimMs) || !Number.isSafeInteger(endOffset)
        ? { lowerBoundMs }
        : { lowerBoundMs, atEnd: { lowerBoundMs: claimMs, endOffset } },
    );
  }
  return bounds;
}

export function encodeBounds(bounds: ReadonlyMap<string, PartitionBound>): string[] {
  const fields: string[] = [];
  for (const [field, bound] of bounds) {
    const { atEnd } = bound;
    fields.push(field, encode(bound.lowerBoundMs));
    fields.push(field + AT_END_SUFFIX, atEnd ? `${encode(atEnd.lowerBoundMs)} ${atEnd.endOffset}` : NO_CLAIM);
  }
  return fields;
}

export function createRedisWatermarkStore(redis: Redis, key: string): WatermarkStore {
  const readAll = async () => decodeBounds(await redis.hgetall(key));
  return {
    readAll,
    async exchange(bounds) {
      if (bounds.size === 0) return readAll();
      // A pipeline, not a transaction: Redis runs a connection's commands in order, and each partition has one owner.
      const replies =
        (await redis
          .pipeline()
          .hset(key, ...encodeBounds(bounds))
          .hgetall(key)
          .exec()) ?? [];
      const failed = replies.find(([error]) => error !== null);
      if (failed) throw failed[0];
      return decodeBounds((replies[1]?.[1] ?? {}) as Record<string, string>);
    },
  };
}
