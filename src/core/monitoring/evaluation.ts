import { evaluationMetrics, type Decision, type EvaluationMetrics, type LabelledPrediction } from './eval-metrics.js';

const DAY_MS = 86_400_000;

/** A logged prediction (the output topic): what the model said, about which card and amount, when. */
export interface LoggedPrediction {
  readonly transactionId: string;
  readonly eventTimeMs: number;
  readonly score: number;
  readonly decision: Decision;
  readonly modelVersion: string;
  readonly customerId: string;
  readonly amount: number;
}

/** A label (the labels topic): ground truth known from `reportedAtMs` on. */
export interface ReportedLabel {
  readonly transactionId: string;
  readonly isFraud: boolean;
  readonly reportedAtMs: number;
}

export interface EvaluationPolicy {
  /** A scoring day is final once stream time passes its end by this much (longer than the label delay). */
  readonly horizonDays: number;
  /** Live figures pool this many latest final days per model version (their labelled rows are kept for it). */
  readonly windowDays: number;
}

/** The live figure of one model version: its latest final days pooled. */
export interface LiveMetrics {
  readonly days: readonly number[];
  readonly metrics: EvaluationMetrics;
}

/** One scoring day of one model version, once its labels have matured. */
export interface MaturedDay {
  readonly day: number;
  readonly modelVersion: string;
  /** With every label reported within the horizon; unlabelled transactions count as genuine. */
  readonly metrics: EvaluationMetrics;
  /** The same day as it looked with the labels known `ageDays` after the day ended (1 .. horizonDays). */
  readonly byLabelAge: readonly { readonly ageDays: number; readonly metrics: EvaluationMetrics }[];
}

/**
 * The delayed-label join: logged predictions and labels by transaction id, per scoring day (UTC day of the event)
 * and model version. A day is evaluated once, when stream time (the caller's watermark over both topics) has passed
 * its end by the horizon: its result never changes after that, and its rows are dropped. A label is "fraud" if any
 * fraud report came within the horizon; a transaction without one is genuine. Predictions of a day already final and
 * labels reported after their day's horizon are counted as late and left out (the horizon should make them rare).
 *
 * Pure and deterministic: the same records in any order up to a watermark give the same days, which is what makes the
 * evaluator restart-safe (it rebuilds this state from the topics).
 */
export class DelayedLabelJoin {
  private readonly open = new Map<number, Map<string, LoggedPrediction>>();
  /** Earliest fraud report per transaction, and transactions with only genuine labels (reported time unused). */
  private readonly fraudReportedAt = new Map<string, number>();
  private readonly matured: MaturedDay[] = [];
  /** Final labelled rows of the latest windowDays days, per model version (oldest first). */
  private readonly recent = new Map<string, { day: number; rows: LabelledPrediction[] }[]>();
  private finalUpTo = Number.NEGATIVE_INFINITY;
  latePredictions = 0;
  lateLabels = 0;
  duplicates = 0;

  constructor(private readonly policy: EvaluationPolicy) {}

  addPrediction(prediction: LoggedPrediction): void {
    const day = Math.floor(prediction.eventTimeMs / DAY_MS);
    if (day <= this.finalUpTo) {
      this.latePredictions++;
      return;
    }
    let rows = this.open.get(day);
    if (!rows) this.open.set(day, (rows = new Map()));
    if (rows.has(prediction.transactionId)) {
      this.duplicates++;
      return;
    }
    rows.set(prediction.transactionId, prediction);
  }

  addLabel(label: ReportedLabel): void {
    if (!label.isFraud) return;
    const known = this.fraudReportedAt.get(label.transactionId);
    if (known === undefined || label.reportedAtMs < known) {
      this.fraudReportedAt.set(label.transactionId, label.reportedAtMs);
    }
  }

  /** Finalises every open day whose horizon ended at or before `watermarkMs`; returns the newly matured days. */
  advance(watermarkMs: number): MaturedDay[] {
    const horizonMs = this.policy.horizonDays * DAY_MS;
    const ready = [...this.open.keys()]
      .filter((day) => (day + 1) * DAY_MS + horizonMs <= watermarkMs)
      .sort((a, b) => a - b);
    const fresh: MaturedDay[] = [];
    for (const day of ready) {
      const rows = this.open.get(day) as Map<string, LoggedPrediction>;
      this.open.delete(day);
      const byVersion = new Map<string, LoggedPrediction[]>();
      for (const row of rows.values()) {
        const list = byVersion.get(row.modelVersion);
        if (list) list.push(row);
        else byVersion.set(row.modelVersion, [row]);
      }
      const dayEndMs = (day + 1) * DAY_MS;
      for (const [modelVersion, predictions] of [...byVersion].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const labelled = (knownByMs: number): LabelledPrediction[] =>
          predictions.map((p) => {
            const reported = this.fraudReportedAt.get(p.transactionId);
            return {
              score: p.score,
              decision: p.decision,
              isFraud: reported !== undefined && reported <= knownByMs,
              customerId: p.customerId,
              day,
              amount: p.amount,
            };
          });
        const byLabelAge = Array.from({ length: this.policy.horizonDays }, (_, i) => ({
          ageDays: i + 1,
          metrics: evaluationMetrics(labelled(dayEndMs + (i + 1) * DAY_MS)),
        }));
        const final = labelled(dayEndMs + horizonMs);
        fresh.push({ day, modelVersion, metrics: evaluationMetrics(final), byLabelAge });
        const kept = this.recent.get(modelVersion) ?? [];
        kept.push({ day, rows: final });
        this.recent.set(modelVersion, kept.slice(-this.policy.windowDays));
      }
      for (const id of rows.keys()) {
        const reported = this.fraudReportedAt.get(id);
        if (reported !== undefined && reported > dayEndMs + horizonMs) this.lateLabels++;
        this.fraudReportedAt.delete(id);
      }
      this.finalUpTo = Math.max(this.finalUpTo, day);
    }
    this.matured.push(...fresh);
    return fresh;
  }

  /** Every day finalised so far, by day then model version. */
  maturedDays(): readonly MaturedDay[] {
    return this.matured;
  }

  /**
   * The live figure per model version: the latest windowDays final days pooled (AUC and AP over all their rows, card
   * precision@100 the mean of the days' values), as the card's held-out figures are computed over its days.
   */
  live(): Map<string, LiveMetrics> {
    const out = new Map<string, LiveMetrics>();
    for (const [version, days] of this.recent) {
      out.set(version, { days: days.map((d) => d.day), metrics: evaluationMetrics(days.flatMap((d) => d.rows)) });
    }
    return out;
  }

  /** Scoring days still waiting for their labels. */
  openDays(): number[] {
    return [...this.open.keys()].sort((a, b) => a - b);
  }
}
