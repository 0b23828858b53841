/**
 * A small seeded PRNG of our own (xoshiro128**, seeded through splitmix32), so that the same seed gives the same
 * bytes on every machine and Node version: Math.random cannot be seeded, and a library's generator may change.
 * 32-bit integer arithmetic only (Math.imul, shifts), which is exact in JavaScript.
 */
import { fmix32 } from '../hashing/fmix32.js';

const TWO_POW_26 = 67_108_864;
const TWO_POW_53 = 9_007_199_254_740_992;
const TWO_PI = 2 * Math.PI;
/**
 * Knuth's Poisson sampler multiplies uniforms until their product drops below e^-lambda: cost grows with lambda and
 * e^-lambda underflows near 745. Above this mean a rounded normal is within a fraction of a percent and O(1).
 */
const POISSON_NORMAL_APPROX_FROM = 30;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Hashes a seed and a path of small integers (stream id, day, ...) into one 32-bit seed. Separate streams per purpose
 * and per day keep the data stable under unrelated changes: more days do not alter the first days, a different label
 * rate does not alter the traffic.
 */
export function deriveSeed(seed: number, ...path: readonly number[]): number {
  // Seeds up to 2^53 are accepted: fold the high word in rather than silently dropping it.
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ Math.floor(seed / 2 ** 32));
  for (const part of path) h = fmix32((h + Math.imul(part | 0, 0x9e3779b1) + 0x7f4a7c15) | 0);
  return h;
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed32: number) {
    // splitmix32 expands one word into four; it never yields the all-zero state xoshiro cannot leave.
    let state = seed32 | 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      return fmix32(state) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A fresh generator for one purpose (and usually one day) of one simulation. */
  static forStream(seed: number, ...path: readonly number[]): Prng {
    return new Prng(deriveSeed(seed, ...path));
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with the full 53 bits of a double (two draws), so no value is over-represented. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.nextFloat();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  bernoulli(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** Box–Muller. The second variate is not cached: one call, one fixed number of draws, easier to keep stable. */
  normal(mean: number, sd: number): number {
    const u1 = 1 - this.nextFloat(); // (0, 1]: log(0) would be -Infinity
    const u2 = this.nextFloat();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(TWO_PI * u2);
  }

  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda >= POISSON_NORMAL_APPROX_FROM) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    let product = this.nextFloat();
    while (product > limit) {
      k += 1;
      product *= this.nextFloat();
    }
    return k;
  }
}
