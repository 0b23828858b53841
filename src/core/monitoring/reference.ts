import { z } from 'zod';

/**
 * Reference distributions frozen at training time (written by training/fraudtrain into the model card's
 * `monitoring` section), against which the stream's drift is measured.
 *
 * Binning rule, the same on both sides (trainer in numpy, worker in TypeScript): `edges` are the inner bin edges,
 * strictly ascending (deciles of the training data with identical values merged); the bins are
 * (-inf, e0), [e0, e1), …, [e_last, +inf): a value v falls into bin `count of edges <= v` (numpy
 * `searchsorted(edges, v, side="right")`). So there are edges.length + 1 bins, and `shares` has that length and sums
 * to 1.
 *
 * PSI = sum over bins of (a - e) * ln(a / e) where e and a are the reference and actual shares, each first raised
 * to at least `epsilon` in EVERY bin (max(share, epsilon), both sides the same way), so an empty bin never gives an
 * infinite PSI.
 */
export const DEFAULT_PSI_EPSILON = 1e-4;

/** How many score values the card keeps for the two-sample KS test. */
export const REFERENCE_SCORE_SAMPLE_SIZE = 10_000;

/**
 * How far the bin shares may sum from 1: a float64 sum of count / n shares is off by about 1e-16, a hand-written
 * card rounded to seven decimals by less than 1e-6; a share missing or counted twice is off by far more (a bin holds
 * ~0.1), and would shift the reference every PSI is measured against.
 */
export const SHARES_SUM_TOLERANCE = 1e-6;

const finite = z.number().refine(Number.isFinite, 'a finite number');

const ascending = (values: readonly number[]) => values.every((v, i) => i === 0 || (values[i - 1] as number) <= v);

export const binnedReferenceSchema = z
  .object({
    edges: z.array(finite),
    shares: z
      .array(
        z
          .number()
          .min(0, "a share is never negative: each is a bin's count divided by the number of values")
          .max(1, "a share is at most 1: each is a bin's count divided by the number of values"),
      )
      .min(1),
  })
  .refine((ref) => ref.shares.length === ref.edges.length + 1, 'shares must have edges.length + 1 entries')
  .refine(
    (ref) => ref.edges.every((edge, i) => i === 0 || (ref.edges[i - 1] as number) < edge),
    'edges must be strictly ascending',
  )
  .refine((ref) => Math.abs(ref.shares.reduce((a, b) => a + b, 0) - 1) <= SHARES_SUM_TOLERANCE, {
    path: ['shares'],
    message:
      `must sum to 1 (within ${SHARES_SUM_TOLERANCE}): each share is a bin's count divided by the number of ` +
      'values; recompute them from the counts (training/fraudtrain/reference.py binned_reference)',
  });

export const expectationSchema = z
  .object({
    value: z.number().min(0).max(1),
    lower: z.number().min(0).max(1),
    upper: z.number().min(0).max(1),
    /** How the interval was made, e.g. "bootstrap over 7 held-out days, 1000 resamples, 95% percentile". */
    method: z.string().min(1).optional(),
  })
  .refine((e) => e.lower <= e.value && e.value <= e.upper, 'lower <= value <= upper');

export const monitoringReferenceSchema = z.object({
  /** Floor applied to every bin share of both distributions before PSI. */
  epsilon: z.number().positive().max(0.01),
  /** Per feature name (the card's input.features), the training table's distribution. */
  features: z.record(z.string(), binnedReferenceSchema),
  /** The model's score on the training (or held-out) rows: bins for PSI, a sorted sample for KS. */
  score: z.object({
    bins: binnedReferenceSchema,
    /** Ascending: the KS statistic merges it with the window's sorted scores (ks.ts) and is silently wrong if not. */
    sample: z
      .array(z.number().min(0).max(1))
      .min(1)
      .refine(
        ascending,
        'must be sorted ascending (the KS test merges it with the sorted window): sort the values, as the trainer ' +
          'writes them (training/fraudtrain/reference.py score_sample)',
      ),
    /** Which rows the score reference was computed on, e.g. "test" (held-out period). */
    rows: z.string().min(1),
  }),
  /**
   * The held-out expectation of the live metrics: the trainer's point estimate on the held-out split and a
   * confidence interval from a bootstrap over its days (metric names as in fraudscore_eval_metric: auc,
   * average_precision, card_precision_at_100). Optional: cards may carry drift references only.
   */
  expectations: z.record(z.string(), expectationSchema).optional(),
});

export type BinnedReference = z.infer<typeof binnedReferenceSchema>;
export type Expectation = z.infer<typeof expectationSchema>;
export type MonitoringReference = z.infer<typeof monitoringReferenceSchema>;
