import type { BinnedReference } from './reference.js';

/**
 * Binning as the model card's `monitoring` section defines it (reference.ts): inner edges strictly ascending, bins
 * (-inf, e0), [e0, e1), ..., [e_last, +inf). The trainer computes the same in numpy (training/fraudtrain/reference.py);
 * test/fixtures/drift pins both sides to the same golden values.
 */

/** The bin of `value`: how many edges are <= value (numpy `searchsorted(edges, value, side="right")`). */
export function binIndex(edges: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((edges[mid] as number) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Counts per bin (edges.length + 1 of them). */
export function binCounts(edges: ArrayLike<number>, values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) (counts[binIndex(edges, values[i] as number)] as number)++;
  return counts;
}

/**
 * Quantile of sorted values with linear interpolation between order statistics: numpy's default
 * (`method="linear"`, Hyndman and Fan's type 7), including its way of interpolating (from the upper neighbour when the fraction is >= 0.5), so
 * that edges come out bit-identical to the trainer's. The drift window's score quantiles use it too; the demo summary's
 * latency and score quantiles are nearest-rank instead (core/report/score-report.ts quantile).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const virtual = (n - 1) * q;
  const below = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
  const above = Math.min(below + 1, n - 1);
  const t = virtual - below;
  const a = sorted[below] as number;
  const b = sorted[above] as number;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** The reference binning levels: deciles. */
export const REFERENCE_QUANTILES: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Deciles of the values with identical edges merged (a flag feature gets one or two edges, not nine). */
export function decileEdges(values: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (const q of REFERENCE_QUANTILES) {
    const edge = quantileSorted(sorted, q);
    if (edges.length === 0 || (edges[edges.length - 1] as number) < edge) edges.push(edge);
  }
  return edges;
}

/** The reference of a sample: decile edges and the share of the sample in each bin. */
export function binnedReference(values: ArrayLike<number>): BinnedReference {
  const edges = decileEdges(values);
  const counts = binCounts(edges, values);
  return { edges, shares: counts.map((count) => count / values.length) };
}
