import type { Expectation } from './reference.js';

/** The live metrics compared with the card's held-out expectation, by the names of fraudscore_eval_metric. */
export const EXPECTED_METRICS = ['auc', 'average_precision', 'card_precision_at_100'] as const;
export type ExpectedMetric = (typeof EXPECTED_METRICS)[number];

/**
 * The z a difference must exceed to be a mismatch: 2.394, a two-sided test at 5 % for the family of
 * EXPECTED_METRICS.length (3) comparisons each evaluation makes for a model (Bonferroni: each at 5 % / 3, z =
 * Φ⁻¹(1 − 0.05 / 6)). A model that is on the stream what its card says it is then has at most a 5 % chance that any
 * of its three metrics is flagged by chance in an evaluation, whatever their correlation (at 1.96 each, up to 14 % of
 * evaluations would flag one, and the alert, one series per metric, would page as often). Nominal rates: both
 * standard errors treat rows as independent, and the live one leaves out the day-to-day swing, so the real rate runs
 * somewhat above them.
 */
export const MISMATCH_Z = 2.394;

/**
 * The z of the card's interval: the trainer writes 95 % intervals (training/fraudtrain/reference.py, CONFIDENCE), so
 * the held-out figure's standard error is the interval's width / (2 × 1.96). The interval is a percentile bootstrap
 * over the held-out days, not necessarily symmetric about the value; its width is what carries the spread.
 */
export const CARD_INTERVAL_Z = 1.96;

/** A live figure and its own sampling standard error (eval-metrics.ts standardErrors). */
export interface LiveFigure {
  readonly value: number;
  readonly standardError: number;
}

export type Comparison =
  | {
      readonly metric: string;
      readonly status: 'no-expectation' | 'insufficient-data';
      readonly live?: number;
      /** The card's held-out point estimate, when it has one but no interval (cards older than the intervals). */
      readonly cardValue?: number;
    }
  | {
      readonly metric: string;
      readonly status: 'within' | 'below' | 'above';
      readonly live: number;
      readonly expected: Expectation;
      readonly liveStandardError: number;
      /** From the card's interval: its width / (2 × CARD_INTERVAL_Z). */
      readonly offlineStandardError: number;
      /** (live − expected.value) / √(offline SE² + live SE²): a mismatch when |z| > MISMATCH_Z. */
      readonly z: number;
    };

/** The held-out figure's standard error, read from the card's 95 % interval. */
export function offlineStandardError(expected: Expectation): number {
  return (expected.upper - expected.lower) / (2 * CARD_INTERVAL_Z);
}

/**
 * Whether a live metric differs from the card's held-out figure by more than the two estimates' sampling error: a
 * mismatch when |live − held-out| > MISMATCH_Z × √(se_offline² + se_live²). Both figures are estimates from finite
 * samples: the live point falling outside the held-out interval alone is no evidence (the live figure of a model
 * that is exactly as good as its card says scatters as much as the held-out one, and fell outside the 95 % interval
 * in about a third of trials). Below is the usual alarm (the model looked better offline than it does online:
 * leakage in training, or training/serving skew); above is worth a look too (an easier population, or labels
 * arriving selectively).
 */
export function compareWithExpectation(
  metric: string,
  live: LiveFigure,
  expected: Expectation | undefined,
  cardValue?: number | null,
): Comparison {
  if (!expected) {
    return {
      metric,
      status: 'no-expectation',
      live: live.value,
      ...(typeof cardValue === 'number' ? { cardValue } : {}),
    };
  }
  if (!Number.isFinite(live.value) || !Number.isFinite(live.standardError)) {
    return { metric, status: 'insufficient-data' };
  }
  const offline = offlineStandardError(expected);
  const combined = Math.hypot(offline, live.standardError);
  const difference = live.value - expected.value;
  const status = Math.abs(difference) <= MISMATCH_Z * combined ? 'within' : difference < 0 ? 'below' : 'above';
  // Both errors zero (a zero-width interval, a perfectly separating live sample): any difference is a mismatch.
  const z = difference === 0 ? 0 : difference / combined;
  return {
    metric,
    status,
    live: live.value,
    expected,
    liveStandardError: live.standardError,
    offlineStandardError: offline,
    z,
  };
}

export function isMismatch(comparison: Comparison): boolean {
  return comparison.status === 'below' || comparison.status === 'above';
}
