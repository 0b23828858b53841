/**
 * Two models' ROC AUCs on the same labelled records, and the standard error of their difference by DeLong's method
 * (DeLong, DeLong & Clarke-Pearson 1988), computed from midranks (Sun & Xu 2014) in O(n log n).
 *
 * Both models score the same records, so their AUCs move together: a record that is hard for one is mostly hard for
 * the other. The variance of the difference is V1 + V2 - 2 Cov, and the covariance is what independent standard
 * errors (Hanley & McNeil's, one per model) leave out: on the same records they overstate the error several times,
 * and a challenger that misses a quarter of the frauds could hold its stage instead of failing.
 */
export interface PairedAuc {
  readonly championAuc: number;
  readonly challengerAuc: number;
  /** Standard error of challengerAuc - championAuc; NaN with fewer than two records of either class. */
  readonly standardError: number;
}

/** Midranks (1-based, ties get the mean of the ranks they span) of `values`. */
function midranks(values: readonly number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && values[order[j] as number] === values[order[i] as number]) j++;
    // Positions i..j-1 (0-based) hold one value: ranks i+1..j, whose mean is (i + 1 + j) / 2.
    for (let k = i; k < j; k++) ranks[order[k] as number] = (i + 1 + j) / 2;
    i = j;
  }
  return ranks;
}

/**
 * One model's AUC and its structural components: per positive, the share of negatives it outscores (ties half); per
 * negative, the share of positives that outscore it.
 */
function components(positives: readonly number[], negatives: readonly number[]) {
  const m = positives.length;
  const n = negatives.length;
  const withinPositives = midranks(positives);
  const withinNegatives = midranks(negatives);
  const overall = midranks([...positives, ...negatives]);
  const ofPositives = new Float64Array(m);
  const ofNegatives = new Float64Array(n);
  let rankSum = 0;
  for (let i = 0; i < m; i++) {
    ofPositives[i] = ((overall[i] as number) - (withinPositives[i] as number)) / n;
    rankSum += overall[i] as number;
  }
  for (let j = 0; j < n; j++) ofNegatives[j] = 1 - ((overall[m + j] as number) - (withinNegatives[j] as number)) / m;
  return { auc: (rankSum - (m * (m + 1)) / 2) / (m * n), ofPositives, ofNegatives };
}

/** Sample variance of a - b (n - 1 in the denominator). */
function varianceOfDifference(a: Float64Array, b: Float64Array): number {
  const count = a.length;
  let mean = 0;
  for (let i = 0; i < count; i++) mean += (a[i] as number) - (b[i] as number);
  mean /= count;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += ((a[i] as number) - (b[i] as number) - mean) ** 2;
  return sum / (count - 1);
}

/**
 * Both AUCs and the DeLong standard error of their difference, over records both models scored (`champion[i]` and
 * `challenger[i]` are one record's scores, `fraud[i]` its label). AUCs are NaN without both classes.
 */
export function pairedAuc(
  champion: readonly number[],
  challenger: readonly number[],
  fraud: readonly boolean[],
): PairedAuc {
  const split = (scores: readonly number[]) => ({
    positives: scores.filter((_, i) => fraud[i] === true),
    negatives: scores.filter((_, i) => fraud[i] !== true),
  });
  const a = split(champion);
  const b = split(challenger);
  const m = a.positives.length;
  const n = a.negatives.length;
  if (m === 0 || n === 0) return { championAuc: Number.NaN, challengerAuc: Number.NaN, standardError: Number.NaN };
  const first = components(a.positives, a.negatives);
  const second = components(b.positives, b.negatives);
  const standardError =
    m < 2 || n < 2
      ? Number.NaN
      : Math.sqrt(
          varianceOfDifference(first.ofPositives, second.ofPositives) / m +
            varianceOfDifference(first.ofNegatives, second.ofNegatives) / n,
        );
  return { championAuc: first.auc, challengerAuc: second.auc, standardError };
}

export interface AucJudgement {
  readonly status: 'pass' | 'hold' | 'fail';
  /** Twice the standard error of the difference: how far the shortfall moves on its own at this many labels. */
  readonly sampling: number;
}

/**
 * The AUC comparison, for the rollout gate and the shadow checklist alike: a challenger within `margin` of the
 * champion passes; one short by more than the margin fails only when the excess is also beyond twice the standard
 * error of the paired difference (one-sided, ~2.3 % by chance), and holds otherwise (more labels decide). Without an
 * error estimate (fewer than two frauds or genuine records) a shortfall holds.
 */
export function judgeAucShortfall(auc: PairedAuc, margin: number): AucJudgement {
  const sampling = 2 * auc.standardError;
  const shortfall = auc.championAuc - margin - auc.challengerAuc;
  if (shortfall <= 0) return { status: 'pass', sampling };
  return { status: Number.isFinite(sampling) && shortfall > sampling ? 'fail' : 'hold', sampling };
}
