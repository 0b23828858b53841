import { aucVariance } from './delong.js';
import { rocAuc } from '../report/score-report.js';

/**
 * Ranking and business metrics over labelled predictions, defined as the trainer defines them
 * (training/fraudtrain/metrics.py: scikit-learn's roc_auc_score and average_precision_score, and the handbook's
 * card precision@k), so the live figures compare with the model card's held-out figures.
 */

export type Decision = 'APPROVE' | 'REVIEW' | 'BLOCK';

export interface LabelledPrediction {
  readonly score: number;
  readonly decision: Decision;
  readonly isFraud: boolean;
  /** Card (customer) id: card precision@k ranks cards, not transactions. */
  readonly customerId: string;
  /** UTC day index of the event (epoch ms / 86,400,000, floored). */
  readonly day: number;
  /** Transaction amount in major units. */
  readonly amount: number;
}

/** ROC AUC with ties counted half (the rank-sum form of scikit-learn's); NaN with a single class. */
export function aucRoc(scores: readonly number[], positives: readonly boolean[]): number {
  return rocAuc(scores, positives);
}

/**
 * Average precision as scikit-learn computes it: sum over distinct score thresholds, highest first, of
 * (recall_n - recall_{n-1}) * precision_n. No interpolation. NaN without a positive (recall is undefined); 1 when
 * every record is a positive, as scikit-learn gives (precision is 1 at every threshold). Unlike AUC it needs no
 * negative: a day whose every labelled record is a fraud still has an average precision.
 */
export function averagePrecision(scores: readonly number[], positives: readonly boolean[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const totalPositives = positives.filter(Boolean).length;
  if (totalPositives === 0) return Number.NaN;
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  let sum = 0;
  for (let i = 0; i < order.length;) {
    const threshold = scores[order[i] as number] as number;
    while (i < order.length && scores[order[i] as number] === threshold) {
      if (positives[order[i] as number]) truePositives++;
      seen++;
      i++;
    }
    const recall = truePositives / totalPositives;
    sum += (recall - previousRecall) * (truePositives / seen);
    previousRecall = recall;
  }
  return sum;
}

/** Card precision@k over days: per day and card, its highest score and whether any of its transactions was fraud. */
export interface CardPrecision {
  readonly k: number;
  readonly days: number;
  /** Mean over days of the fraud share among the day's k highest-scored cards; NaN without days. */
  readonly mean: number;
  /**
   * Its binomial standard error: each day's share p_d of its n_d top cards has variance p_d(1 - p_d)/n_d, the days
   * are independent, so SE = sqrt(sum of those) / days. NaN without days.
   */
  readonly standardError: number;
  readonly perDay: ReadonlyMap<number, number>;
}

/**
 * The handbook's card precision@k: per UTC day, rank cards by their highest score that day (ties by card id), take
 * the top k, and count the share with at least one fraudulent transaction that day. Days with fewer than k cards
 * divide by the number they have.
 */
export function cardPrecisionAtK(
  rows: readonly Pick<LabelledPrediction, 'score' | 'isFraud' | 'customerId' | 'day'>[],
  k = 100,
): CardPrecision {
  const byDay = new Map<number, Map<string, { score: number; fraud: boolean }>>();
  for (const row of rows) {
    let cards = byDay.get(row.day);
    if (!cards) byDay.set(row.day, (cards = new Map()));
    const card = cards.get(row.customerId);
    if (!card) cards.set(row.customerId, { score: row.score, fraud: row.isFraud });
    else cards.set(row.customerId, { score: Math.max(card.score, row.score), fraud: card.fraud || row.isFraud });
  }
  const perDay = new Map<number, number>();
  let variances = 0;
  for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
    const ranked = [...(byDay.get(day) as Map<string, { score: number; fraud: boolean }>)].sort(
      ([idA, a], [idB, b]) => b.score - a.score || (idA < idB ? -1 : idA > idB ? 1 : 0),
    );
    const top = ranked.slice(0, k);
    const share = top.filter(([, card]) => card.fraud).length / top.length;
    perDay.set(day, share);
    variances += (share * (1 - share)) / top.length;
  }
  const values = [...perDay.values()];
  const mean = values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  const standardError = values.length > 0 ? Math.sqrt(variances) / values.length : Number.NaN;
  return { k, days: perDay.size, mean, standardError, perDay };
}

/** What a set of labelled predictions says about the model and about money. */
export interface EvaluationMetrics {
  readonly records: number;
  readonly frauds: number;
  readonly aucRoc: number;
  readonly averagePrecision: number;
  readonly cardPrecisionAt100: number;
  /** Share of frauds blocked; share of frauds flagged (REVIEW or BLOCK, i.e. at the review threshold). */
  readonly recallBlock: number;
  readonly recallReview: number;
  /** Share of records flagged (REVIEW or BLOCK). */
  readonly alertRate: number;
  readonly falseAlerts: number;
  /** Fraud amount (major units) per decision: BLOCK and REVIEW caught, APPROVE missed. */
  readonly fraudAmount: Readonly<Record<Decision, number>>;
}

export function evaluationMetrics(rows: readonly LabelledPrediction[]): EvaluationMetrics {
  const scores = rows.map((row) => row.score);
  const positives = rows.map((row) => row.isFraud);
  const fraudCents: Record<Decision, number> = { APPROVE: 0, REVIEW: 0, BLOCK: 0 };
  let frauds = 0;
  let blocked = 0;
  let flaggedFrauds = 0;
  let alerts = 0;
  let falseAlerts = 0;
  for (const row of rows) {
    const flagged = row.decision !== 'APPROVE';
    if (flagged) alerts++;
    if (row.isFraud) {
      frauds++;
      // In whole cents: the sum is then exact and independent of the order records arrived in.
      fraudCents[row.decision] += Math.round(row.amount * 100);
      if (row.decision === 'BLOCK') blocked++;
      if (flagged) flaggedFrauds++;
    } else if (flagged) falseAlerts++;
  }
  return {
    records: rows.length,
    frauds,
    aucRoc: aucRoc(scores, positives),
    averagePrecision: averagePrecision(scores, positives),
    cardPrecisionAt100: cardPrecisionAtK(rows, 100).mean,
    recallBlock: frauds > 0 ? blocked / frauds : Number.NaN,
    recallReview: frauds > 0 ? flaggedFrauds / frauds : Number.NaN,
    alertRate: rows.length > 0 ? alerts / rows.length : Number.NaN,
    falseAlerts,
    fraudAmount: { APPROVE: fraudCents.APPROVE / 100, REVIEW: fraudCents.REVIEW / 100, BLOCK: fraudCents.BLOCK / 100 },
  };
}

/** The sampling standard errors of the figures compared with the model card (NaN where the figure is undefined). */
export interface StandardErrors {
  readonly aucRoc: number;
  readonly averagePrecision: number;
  readonly cardPrecisionAt100: number;
}

/**
 * How far each compared figure of these rows would move from sample to sample of the same population: the AUC's
 * DeLong estimate (aucVariance), average precision's binomial approximation over the positives, sqrt(AP(1 - AP) / P)
 * (Boyd, Eng and Page 2013: AP is a mean of precisions at the P positives), and card precision@k's binomial one
 * (cardPrecisionAtK). `metrics` are the rows' own (evaluationMetrics), not computed twice.
 */
export function standardErrors(rows: readonly LabelledPrediction[], metrics: EvaluationMetrics): StandardErrors {
  const ap = metrics.averagePrecision;
  return {
    aucRoc: Math.sqrt(
      aucVariance(
        rows.map((row) => row.score),
        rows.map((row) => row.isFraud),
      ),
    ),
    averagePrecision: metrics.frauds > 0 ? Math.sqrt((ap * (1 - ap)) / metrics.frauds) : Number.NaN,
    cardPrecisionAt100: cardPrecisionAtK(rows, 100).standardError,
  };
}

/** The figures of fraudscore_eval_metric, by its `metric` label. */
export function liveMetricValues(m: EvaluationMetrics): Record<string, number> {
  return {
    auc: m.aucRoc,
    average_precision: m.averagePrecision,
    card_precision_at_100: m.cardPrecisionAt100,
    alert_rate: m.alertRate,
    recall_block: m.recallBlock,
    recall_review: m.recallReview,
  };
}
