import { Prng } from './prng.js';
import { Stream } from './streams.js';

/** The handbook's map: customers and terminals sit uniformly on a 100 x 100 square. */
export const MAP_SIZE = 100;

export interface CustomerProfiles {
  readonly count: number;
  readonly meanAmount: Float64Array;
  readonly stdAmount: Float64Array;
  readonly meanTxPerDay: Float64Array;
  /**
   * Terminals each customer can use, in compressed rows: customer i uses
   * terminalIndex[terminalStart[i] .. terminalStart[i + 1]). Flat typed arrays instead of one array per customer:
   * 100k customers with hundreds of nearby terminals each would otherwise be millions of small heap objects.
   */
  readonly terminalStart: Int32Array;
  readonly terminalIndex: Int32Array;
}

export interface Population {
  readonly customers: CustomerProfiles;
  readonly terminalCount: number;
}

interface Points {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

function drawPoints(rng: Prng, count: number): Points {
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    x[i] = rng.uniform(0, MAP_SIZE);
    y[i] = rng.uniform(0, MAP_SIZE);
  }
  return { x, y };
}

/**
 * Which terminals lie within `radius` of each customer. A uniform grid with cells as large as the radius means only
 * the 3 x 3 neighbouring cells are searched, instead of every terminal for every customer.
 */
function nearbyTerminals(
  customers: Points,
  terminals: Points,
  radius: number,
): { start: Int32Array; index: Int32Array } {
  const cellSize = Math.max(radius, 1e-9);
  const cellsPerSide = Math.max(1, Math.ceil(MAP_SIZE / cellSize));
  const cellOf = (v: number): number => Math.min(cellsPerSide - 1, Math.floor(v / cellSize));
  const buckets: number[][] = Array.from({ length: cellsPerSide * cellsPerSide }, () => []);
  for (let t = 0; t < terminals.x.length; t++) {
    buckets[cellOf(terminals.y[t]!) * cellsPerSide + cellOf(terminals.x[t]!)]!.push(t);
  }
  const radiusSquared = radius * radius;
  const span = Math.ceil(radius / cellSize);
  const start = new Int32Array(customers.x.length + 1);
  // Grown by doubling: a plain number[] of tens of millions of entries would take twice the memory, then a copy.
  let found = new Int32Array(Math.max(16, customers.x.length * 8));
  let used = 0;
  const perCustomer: number[] = [];
  for (let c = 0; c < customers.x.length; c++) {
    const cx = customers.x[c]!;
    const cy = customers.y[c]!;
    perCustomer.length = 0;
    const col = cellOf(cx);
    const row = cellOf(cy);
    for (let r = Math.max(0, row - span); r <= Math.min(cellsPerSide - 1, row + span); r++) {
      for (let k = Math.max(0, col - span); k <= Math.min(cellsPerSide - 1, col + span); k++) {
        for (const t of buckets[r * cellsPerSide + k]!) {
          const dx = terminals.x[t]! - cx;
          const dy = terminals.y[t]! - cy;
          if (dx * dx + dy * dy <= radiusSquared) perCustomer.push(t);
        }
      }
    }
    // Terminal order must not depend on the grid: sort so the choice `list[int(n)]` is stable across cell sizes.
    perCustomer.sort((a, b) => a - b);
    if (used + perCustomer.length > found.length) {
      const grown = new Int32Array(Math.max(found.length * 2, used + perCustomer.length));
      grown.set(found.subarray(0, used));
      found = grown;
    }
    found.set(perCustomer, used);
    used += perCustomer.length;
    start[c + 1] = used;
  }
  return { start, index: found.slice(0, used) };
}

/**
 * Customer profiles as in the handbook: mean amount U(5, 100), std = mean / 2, mean transactions a day U(0, 4);
 * terminals only have a location.
 */
export function generatePopulation(
  seed: number,
  customerCount: number,
  terminalCount: number,
  radius: number,
): Population {
  const rng = Prng.forStream(seed, Stream.Profiles);
  const customerPoints = drawPoints(rng, customerCount);
  const meanAmount = new Float64Array(customerCount);
  const stdAmount = new Float64Array(customerCount);
  const meanTxPerDay = new Float64Array(customerCount);
  for (let c = 0; c < customerCount; c++) {
    meanAmount[c] = rng.uniform(5, 100);
    stdAmount[c] = meanAmount[c]! / 2;
    meanTxPerDay[c] = rng.uniform(0, 4);
  }
  const terminalPoints = drawPoints(rng, terminalCount);
  const nearby = nearbyTerminals(customerPoints, terminalPoints, radius);
  return {
    customers: {
      count: customerCount,
      meanAmount,
      stdAmount,
      meanTxPerDay,
      terminalStart: nearby.start,
      terminalIndex: nearby.index,
    },
    terminalCount,
  };
}
