import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainEmptyRun, simulate, type SimulationOptions } from '../../../../src/core/simulate/index.js';
import { generatePopulation } from '../../../../src/core/simulate/profiles.js';

const transactionsOf = (options: Partial<SimulationOptions>): number => {
  let n = 0;
  for (const record of simulate(options)) if (record.kind === 'transaction') n += 1;
  return n;
};

describe('explainEmptyRun', () => {
  it('names a map without a terminal in reach of any customer, and the terminals that would serve most', () => {
    // Seed 42: none of these 5 customers lies within 5 of one of the 5 terminals.
    const options = { seed: 42, customers: 5, terminals: 5, days: 5 };
    assert.equal(transactionsOf(options), 0);
    assert.deepEqual(explainEmptyRun(options), {
      kind: 'no-terminal-in-reach',
      customers: 5,
      terminals: 5,
      radius: 5,
      mapSize: 100,
      terminalsForMostCustomers: 300,
    });
  });

  it('names customers in reach that drew no payment in the days simulated', () => {
    // Seed 42: one of these 10 customers has a terminal in reach, and pays nothing on its single day.
    const options = { seed: 42, customers: 10, terminals: 10, days: 1 };
    assert.equal(transactionsOf(options), 0);
    assert.deepEqual(explainEmptyRun(options), {
      kind: 'no-payment-drawn',
      customers: 10,
      customersInReach: 1,
      days: 1,
    });
  });

  it('advises a number of terminals that does give most customers one in reach', () => {
    const advised = explainEmptyRun({ seed: 42, customers: 5, terminals: 5 });
    assert.equal(advised.kind, 'no-terminal-in-reach');
    const terminals = advised.terminalsForMostCustomers!;
    for (const seed of [1, 2, 3]) {
      const { customers } = generatePopulation(seed, 2_000, terminals, 5);
      let inReach = 0;
      for (let c = 0; c < customers.count; c++) {
        if (customers.terminalStart[c + 1]! > customers.terminalStart[c]!) inReach += 1;
      }
      // 9 in 10 away from the map's edge; the edge costs a few per cent.
      assert.ok(inReach / customers.count > 0.8, `seed ${seed}: ${inReach} of ${customers.count} in reach`);
    }
  });
});
