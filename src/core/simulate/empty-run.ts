import { resolveSimulationOptions, type SimulationOptions } from './options.js';
import { MAP_SIZE, generatePopulation } from './profiles.js';

/**
 * Why a simulation generated no transaction at all. As in the handbook, a customer pays only at terminals within
 * `radius` of it on the map, so few terminals spread over the map can leave every customer without one: the run is
 * then empty by design, and the way out is more terminals (or customers and days, when some have one in reach).
 */
export type EmptyRunCause =
  | {
      readonly kind: 'no-terminal-in-reach';
      readonly customers: number;
      readonly terminals: number;
      readonly radius: number;
      readonly mapSize: number;
      /** Terminals from which about 9 in 10 customers have one in reach; null when no number would do it. */
      readonly terminalsForMostCustomers: number | null;
    }
  | {
      readonly kind: 'no-payment-drawn';
      readonly customers: number;
      readonly customersInReach: number;
      readonly days: number;
    };

/** The share of customers `terminalsForMostCustomers` aims at: most, without asking for a crowd of terminals. */
const MOST_CUSTOMERS = 0.9;

/**
 * Terminals placed uniformly at which a customer has one within `radius` with probability `share`. Edge effects are
 * ignored (a customer near the map's edge sees less of the disc), so the figure is a floor, rounded up to two
 * significant digits: it is advice, not a promise.
 */
function terminalsForShare(radius: number, share: number): number | null {
  const perTerminal = Math.min(1, (Math.PI * radius * radius) / (MAP_SIZE * MAP_SIZE));
  if (perTerminal === 0) return null;
  if (perTerminal === 1) return 1;
  const exact = Math.ceil(Math.log(1 - share) / Math.log(1 - perTerminal));
  const step = 10 ** Math.max(0, Math.floor(Math.log10(exact)) - 1);
  return Math.ceil(exact / step) * step;
}

/**
 * The cause, for a run of these options that generated no transaction (call it only then: with customers in reach it
 * answers "no payment drawn" without checking). It rebuilds the run's population, which the seed fixes, and counts
 * the customers with a terminal in reach; no traffic is drawn.
 */
export function explainEmptyRun(overrides: Partial<SimulationOptions>): EmptyRunCause {
  const options = resolveSimulationOptions(overrides);
  const { customers } = generatePopulation(options.seed, options.customers, options.terminals, options.radius);
  let customersInReach = 0;
  for (let c = 0; c < customers.count; c++) {
    if (customers.terminalStart[c + 1]! > customers.terminalStart[c]!) customersInReach += 1;
  }
  if (customersInReach > 0) {
    return { kind: 'no-payment-drawn', customers: options.customers, customersInReach, days: options.days };
  }
  return {
    kind: 'no-terminal-in-reach',
    customers: options.customers,
    terminals: options.terminals,
    radius: options.radius,
    mapSize: MAP_SIZE,
    terminalsForMostCustomers: terminalsForShare(options.radius, MOST_CUSTOMERS),
  };
}
