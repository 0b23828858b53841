/**
 * MurmurHash3's 32-bit finaliser: a full-avalanche mix, so that adjacent inputs (day 1, day 2; customer c-1, c-2)
 * give unrelated outputs. Shared by the simulator's seeded streams and the rollout's customer routing.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
