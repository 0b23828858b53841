import type { Expectation } from './reference.js';

/** The live metrics compared with the card's held-out expectation, by the names of fraudscore_eval_metric. */
export const EXPECTED_METRICS = ['auc', 'average_precision', 'card_precision_at_100'] as const;
export type ExpectedMetric = (typeof EXPECTED_METRICS)[number];

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
    };

/**
 * Where a live metric falls against the held-out confidence interval. Below it is the usual alarm (the model looked
 * better offline than it does online: leakage in training, or training/serving skew); above it is worth a look too
 * (an easier population, or labels arriving selectively).
 */
export function compareWithExpectation(
  metric: string,
  live: number,
  expected: Expectation | undefined,
  cardValue?: number | null,
): Comparison {
  if (!expected) {
    return { metric, status: 'no-expectation', live, ...(typeof cardValue === 'number' ? { cardValue } : {}) };
  }
  if (!Number.isFinite(live)) return { metric, status: 'insufficient-data' };
  const status = live < expected.lower ? 'below' : live > expected.upper ? 'above' : 'within';
  return { metric, status, live, expected };
}

export function isMismatch(comparison: Comparison): boolean {
  return comparison.status === 'below' || comparison.status === 'above';
}
