import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng, deriveSeed } from '../../../../src/core/simulate/prng.js';

function draws(prng: Prng, n: number): number[] {
  return Array.from({ length: n }, () => prng.nextUint32());
}

describe('Prng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    assert.deepEqual(draws(new Prng(1), 100), draws(new Prng(1), 100));
    assert.notDeepEqual(draws(new Prng(1), 100), draws(new Prng(2), 100));
  });

  it('pins its first outputs: changing the algorithm must change this test, never silently the data', () => {
    assert.deepEqual(draws(new Prng(0), 4), [3809008728, 1133695204, 53579671, 2891528803]);
    assert.equal(deriveSeed(42, 2, 0), 3288377101);
    assert.equal(deriveSeed(0), 2856213345);
  });

  it('derives unrelated seeds for neighbouring streams, days and large seeds', () => {
    const seeds = new Set<number>();
    for (let stream = 0; stream < 10; stream++)
      for (let day = 0; day < 100; day++) seeds.add(deriveSeed(42, stream, day));
    assert.equal(seeds.size, 1_000);
    assert.notEqual(deriveSeed(1), deriveSeed(1 + 2 ** 32), 'the high word of a seed must matter');
  });

  it('draws floats in [0, 1) with the expected mean', () => {
    const prng = new Prng(7);
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = prng.nextFloat();
      assert.ok(u >= 0 && u < 1);
      sum += u;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
  });

  it('draws normals and Poisson counts with the right first two moments', () => {
    const prng = new Prng(11);
    const n = 100_000;
    const stats = (sample: () => number): { mean: number; variance: number } => {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const x = sample();
        s += x;
        s2 += x * x;
      }
      return { mean: s / n, variance: s2 / n - (s / n) ** 2 };
    };
    const normal = stats(() => prng.normal(10, 2));
    assert.ok(Math.abs(normal.mean - 10) < 0.05 && Math.abs(normal.variance - 4) < 0.1, JSON.stringify(normal));
    for (const lambda of [0.3, 2, 4, 50]) {
      const poisson = stats(() => prng.poisson(lambda));
      assert.ok(Math.abs(poisson.mean - lambda) < 0.05 * Math.max(1, lambda), `λ=${lambda} ${JSON.stringify(poisson)}`);
      assert.ok(
        Math.abs(poisson.variance - lambda) < 0.1 * Math.max(1, lambda),
        `λ=${lambda} ${JSON.stringify(poisson)}`,
      );
    }
    assert.equal(prng.poisson(0), 0);
  });

  it('draws integers in [0, n) covering every value', () => {
    const prng = new Prng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1_000; i++) {
      const k = prng.int(7);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
      seen.add(k);
    }
    assert.equal(seen.size, 7);
  });
});
