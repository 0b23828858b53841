import { binIndex, quantileSorted } from './binning.js';
import { KS_MIN_EFFECTIVE_SIZE, ksEffectiveSize, ksPValue, ksStatistic } from './ks.js';
import { psi } from './psi.js';
import type { MonitoringReference } from './reference.js';

/**
 * A rolling window of one model version's recent records, against its card's reference distributions: per record
 * only the bin of each feature and the score are kept (a ring buffer), with running counts per bin, so a batch costs
 * a binary search per value and the PSI of every feature is a sum over ten bins. The raw scores are kept too, for
 * the KS test and the quantiles.
 */
export interface DriftWindowPolicy {
  /** The window holds at most this many records (the most recent)... */
  readonly maxRecords: number;
  /** ...and none older than this (by the time they were observed). */
  readonly maxAgeMs: number;
  /** Below this many records the window reports "insufficient data", never a number. */
  readonly minRecords: number;
}

export const SCORE_QUANTILES = [0.1, 0.5, 0.9, 0.99] as const;

export type DriftSnapshot =
  | { readonly status: 'insufficient-data'; readonly records: number; readonly minRecords: number }
  | {
      readonly status: 'ok';
      readonly records: number;
      /** Per tracked feature (absent: features the card has no reference for, and those left out). */
      readonly featurePsi: Readonly<Record<string, number>>;
      readonly scorePsi: number;
      readonly ks: { readonly statistic: number; readonly pValue: number };
      /** p10, p50, p90, p99 of the window's scores (numpy's default linear quantile: binning.ts quantileSorted). */
      readonly quantiles: Readonly<Record<(typeof SCORE_QUANTILES)[number], number>>;
    };

export function validateDriftPolicy(policy: DriftWindowPolicy, referenceSampleSize: number): string[] {
  const problems: string[] = [];
  if (!(policy.maxRecords >= policy.minRecords)) problems.push('maxRecords: must be at least minRecords');
  if (!(policy.maxAgeMs > 0)) problems.push('maxAgeMs: must be positive');
  // The KS p-value is implemented for effective sizes above 140 (ks.ts): the minimum window must reach it.
  if (ksEffectiveSize(policy.minRecords, referenceSampleSize) < KS_MIN_EFFECTIVE_SIZE) {
    problems.push(`minRecords: too small for a KS p-value against a ${referenceSampleSize}-value sample; use 300+`);
  }
  return problems;
}

export class DriftWindow {
  private readonly features: { name: string; column: number; edges: number[]; shares: number[]; counts: number[] }[];
  private readonly scoreCounts: number[];
  private readonly times: Float64Array;
  private readonly scores: Float64Array;
  /** Bin of each tracked feature per slot: slot * features.length + i. Bins number at most 10 (deciles). */
  private readonly bins: Uint8Array;
  private readonly scoreBins: Uint8Array;
  private start = 0;
  private size = 0;

  constructor(
    private readonly reference: MonitoringReference,
    /** The model's input features, in the order of each row handed to observe(). */
    featureNames: readonly string[],
    private readonly policy: DriftWindowPolicy,
    /** Features left out even when the card has a reference for them (calendar features: drift-features.ts). */
    notTracked: readonly string[] = [],
  ) {
    this.features = featureNames.flatMap((name, column) => {
      const ref = notTracked.includes(name) ? undefined : reference.features[name];
      return ref ? [{ name, column, edges: ref.edges, shares: ref.shares, counts: ref.shares.map(() => 0) }] : [];
    });
    this.scoreCounts = reference.score.bins.shares.map(() => 0);
    this.times = new Float64Array(policy.maxRecords);
    this.scores = new Float64Array(policy.maxRecords);
    this.bins = new Uint8Array(policy.maxRecords * Math.max(1, this.features.length));
    this.scoreBins = new Uint8Array(policy.maxRecords);
  }

  get records(): number {
    return this.size;
  }

  /** Features the card has a reference for, less those left out (the others are not tracked). */
  get trackedFeatures(): string[] {
    return this.features.map((f) => f.name);
  }

  /**
   * Adds a batch: `scores[i]` with its feature row `rows[i * width .. (i + 1) * width)` (the model's input order).
   * `rowIndices` picks the rows that belong to this window's model (all rows when absent).
   */
  observe(
    nowMs: number,
    scores: ArrayLike<number>,
    rows: ArrayLike<number>,
    width: number,
    rowIndices?: readonly number[],
  ) {
    // No index list is made up for "all rows": that is every batch when no challenger is live.
    const count = rowIndices ? rowIndices.length : scores.length;
    for (let k = 0; k < count; k++) {
      const row = rowIndices ? (rowIndices[k] as number) : k;
      if (this.size === this.policy.maxRecords) this.evictOldest();
      const slot = (this.start + this.size) % this.policy.maxRecords;
      this.size++;
      const score = scores[row] as number;
      this.times[slot] = nowMs;
      this.scores[slot] = score;
      const scoreBin = binIndex(this.reference.score.bins.edges, score);
      this.scoreBins[slot] = scoreBin;
      (this.scoreCounts[scoreBin] as number)++;
      const base = slot * this.features.length;
      this.features.forEach((feature, i) => {
        const bin = binIndex(feature.edges, rows[row * width + feature.column] as number);
        this.bins[base + i] = bin;
        (feature.counts[bin] as number)++;
      });
    }
    this.expire(nowMs);
  }

  /** Drops records older than the window's time span. */
  expire(nowMs: number): void {
    while (this.size > 0 && (this.times[this.start] as number) < nowMs - this.policy.maxAgeMs) this.evictOldest();
  }

  private evictOldest(): void {
    const slot = this.start;
    (this.scoreCounts[this.scoreBins[slot] as number] as number)--;
    const base = slot * this.features.length;
    this.features.forEach((feature, i) => (feature.counts[this.bins[base + i] as number] as number)--);
    this.start = (this.start + 1) % this.policy.maxRecords;
    this.size--;
  }

  snapshot(nowMs: number): DriftSnapshot {
    this.expire(nowMs);
    if (this.size < this.policy.minRecords) {
      return { status: 'insufficient-data', records: this.size, minRecords: this.policy.minRecords };
    }
    const epsilon = this.reference.epsilon;
    const sorted = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) sorted[i] = this.scores[(this.start + i) % this.policy.maxRecords] as number;
    sorted.sort();
    const statistic = ksStatistic(sorted, this.reference.score.sample);
    return {
      status: 'ok',
      records: this.size,
      featurePsi: Object.fromEntries(this.features.map((f) => [f.name, psi(f.shares, f.counts, epsilon)])),
      scorePsi: psi(this.reference.score.bins.shares, this.scoreCounts, epsilon),
      ks: { statistic, pValue: ksPValue(statistic, this.size, this.reference.score.sample.length) },
      quantiles: {
        0.1: quantileSorted(sorted, 0.1),
        0.5: quantileSorted(sorted, 0.5),
        0.9: quantileSorted(sorted, 0.9),
        0.99: quantileSorted(sorted, 0.99),
      },
    };
  }
}
