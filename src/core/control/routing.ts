/**
 * Deterministic routing of customers to the challenger during a staged rollout.
 *
 * A customer's bucket is a hash of the rollout's salt and the customer id (the input's partition key), so the same
 * customer lands in the same bucket on every worker, in every batch, for the whole rollout: one customer sees one
 * model during a stage, and a higher stage only adds customers (bucket < percent keeps everyone already routed).
 * A new rollout brings a new salt, so the first 1 % of one rollout is not the first 1 % of every rollout.
 */
import { fmix32 } from '../hashing/fmix32.js';

/** Buckets per customer space: routing is exact to 0.01 %. */
export const ROUTING_BUCKETS = 10_000;

/** FNV-1a over UTF-16 code units with a murmur3 finaliser: fast, pure, and spreads similar ids across buckets. */
export function stableHash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return fmix32(hash);
}

export function routingBucket(salt: string, customerId: string): number {
  return stableHash32(`${salt}\u0000${customerId}`) % ROUTING_BUCKETS;
}

/** True when the customer is routed to the challenger at this percent (0..100). */
export function routesToChallenger(salt: string, customerId: string, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return routingBucket(salt, customerId) < Math.round(percent * (ROUTING_BUCKETS / 100));
}
