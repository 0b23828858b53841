/**
 * The sampling error of ROC AUC by DeLong's method (DeLong, DeLong & Clarke-Pearson 1988), computed from midranks
 * (Sun & Xu 2014) in O(n log n), ties counted half as in the AUC: one model's (the evaluator's offline-online
 * comparison) and the difference of two models' on the same records (the rollout's AUC gate, the shadow checklist).
 *
 * Both models of a rollout score the same records, so their AUCs move together: a record that is hard for one is
 * mostly hard for the other. The variance of the difference is V1 + V2 - 2 Cov, and the covariance is what
 * independent standard errors (Hanley & McNeil's, one per model) leave out: on the same records they overstate the
 * error several times, and a challenger that misses a fifth of the frauds held its stage instead of failing.
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

/**
 * Sample variance of a - b, or of a alone without b (n - 1 in the denominator), summed in ascending order of the
 * values: the same records in any order give the same bits (a restarted evaluator reads the partitions interleaved
 * otherwise and must report what it reported before).
 */
function varianceOfDifference(a: Float64Array, b?: Float64Array): number {
  const count = a.length;
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = (a[i] as number) - (b ? (b[i] as number) : 0);
  values.sort();
  let mean = 0;
  for (let i = 0; i < count; i++) mean += values[i] as number;
  mean /= count;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += ((values[i] as number) - mean) ** 2;
  return sum / (count - 1);
}

/** Splits one model's scores by label. */
function byClass(scores: readonly number[], fraud: readonly boolean[]) {
  return {
    positives: scores.filter((_, i) => fraud[i] === true),
    negatives: scores.filter((_, i) => fraud[i] !== true),
  };
}

/** Hanley & McNeil's standard error of an AUC from the counts alone (a binormal-free approximation). */
export function hanleyMcNeilStandardError(auc: number, positives: number, negatives: number): number {
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance =
    (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
    (positives * negatives);
  return Math.sqrt(Math.max(0, variance));
}

/**
 * The sampling variance of one model's AUC over these rows: s²(per positive)/m + s²(per negative)/n. With fewer than
 * two records of a class those sample variances do not exist, and Hanley & McNeil's from the counts stands in. NaN
 * with a single class. Rows are taken as independent draws: the spread of the AUC from record-to-record sampling.
 */
export function aucVariance(scores: readonly number[], positives: readonly boolean[]): number {
  const split = byClass(scores, positives);
  const m = split.positives.length;
  const n = split.negatives.length;
  if (m === 0 || n === 0) return Number.NaN;
  const parts = components(split.positives, split.negatives);
  if (m < 2 || n < 2) return hanleyMcNeilStandardError(parts.auc, m, n) ** 2;
  return varianceOfDifference(parts.ofPositives) / m + varianceOfDifference(parts.ofNegatives) / n;
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
  const a = byClass(champion, fraud);
  const b = byClass(challenger, fraud);
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
