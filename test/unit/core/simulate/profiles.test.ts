import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatePopulation } from '../../../../src/core/simulate/profiles.js';
import { Prng } from '../../../../src/core/simulate/prng.js';
import { Stream } from '../../../../src/core/simulate/streams.js';

describe('generatePopulation', () => {
  it('gives each customer exactly the terminals within the radius (grid index == brute force)', () => {
    for (const radius of [0.5, 5, 17, 150]) {
      const population = generatePopulation(9, 300, 200, radius);
      // Replay the profile stream's draws to get the coordinates back: customers' points, amounts, then terminals.
      const rng = Prng.forStream(9, Stream.Profiles);
      const cx = Array.from({ length: 300 }, () => [rng.uniform(0, 100), rng.uniform(0, 100)] as const);
      for (let i = 0; i < 300; i++) {
        rng.uniform(5, 100);
        rng.uniform(0, 4);
      }
      const tx = Array.from({ length: 200 }, () => [rng.uniform(0, 100), rng.uniform(0, 100)] as const);
      const { terminalStart, terminalIndex } = population.customers;
      for (let c = 0; c < 300; c++) {
        const expected = tx
          .map(([x, y], t) => ((x - cx[c]![0]) ** 2 + (y - cx[c]![1]) ** 2 <= radius * radius ? t : -1))
          .filter((t) => t >= 0);
        const actual = Array.from(terminalIndex.subarray(terminalStart[c], terminalStart[c + 1]));
        assert.deepEqual(actual, expected, `customer ${c}, radius ${radius}`);
      }
    }
  });

  it('draws profiles in the handbook ranges', () => {
    const { customers } = generatePopulation(1, 1_000, 10, 5);
    for (let c = 0; c < customers.count; c++) {
      const mean = customers.meanAmount[c]!;
      assert.ok(mean >= 5 && mean < 100);
      assert.equal(customers.stdAmount[c], mean / 2);
      assert.ok(customers.meanTxPerDay[c]! >= 0 && customers.meanTxPerDay[c]! < 4);
    }
  });
});
