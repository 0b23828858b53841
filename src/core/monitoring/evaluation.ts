import { formatModelRef } from '../models/ref.js';
import {
  evaluationMetrics,
  standardErrors,
  type Decision,
  type EvaluationMetrics,
  type LabelledPrediction,
  type StandardErrors,
} from './eval-metrics.js';
import {
  DAY_MS,
  dayFinalAtMs,
  dayOf,
  finalisingMs,
  fraudReportedBy,
  withReportTime,
  type LabelClock,
} from './label-rule.js';

/** A logged prediction (the output topic): what the model said, about which card and amount, when. */
export interface LoggedPrediction {
  readonly transactionId: string;
  readonly eventTimeMs: number;
  readonly score: number;
  readonly decision: Decision;
  /** The model that scored it, as the score names it (`model_name`, `model_version`). */
  readonly modelName: string;
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
  /** Live figures pool this many latest final days per model (their labelled rows are kept for it). */
  readonly windowDays: number;
}

/**
 * How long after a scoring day's final instant the evaluator still waits for its fraud reports to be delivered. A
 * report counts if it was made by the final instant (reported_at), but labels reach the topic later than they are
 * made: a card scheme's chargeback file brings a day's reports the next morning. Without this wait a report made before
 * the final instant and delivered after it would be late when read live, and count after a restart, which reads it
 * before stream time has passed the day (README, Restart semantics). A day covers a daily file delivered any time the
 * next day; it delays every day's figures by as much, on top of a horizon of days.
 */
export const LABEL_DELIVERY_GRACE_MS = DAY_MS;

/** When the evaluator finalises a scoring day: its final instant (dayFinalAtMs) plus the delivery grace. */
export function dayEvaluatedAtMs(day: number, horizonDays: number): number {
  return dayFinalAtMs(day, horizonDays) + LABEL_DELIVERY_GRACE_MS;
}

/**
 * The watermark the evaluator advances its join to (DelayedLabelJoin.advance): how far the topics and the clock have
 * come (finalisingMs, the rollout gate's rule) less the delivery grace. Stream time alone would let one score dated
 * hours ahead (within the contract's skew allowance) finalise a day before the reports made for it meanwhile are read.
 */
export function evaluationWatermarkMs(clock: Pick<LabelClock, 'streamTimeMs' | 'nowMs'>): number {
  return finalisingMs(clock) - LABEL_DELIVERY_GRACE_MS;
}

/** The live figure of one model: its latest final days pooled. */
export interface LiveMetrics {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly days: readonly number[];
  readonly metrics: EvaluationMetrics;
  /** The sampling error of the figures compared with the model card (expectations.ts). */
  readonly standardErrors: StandardErrors;
}

/** One scoring day of one model, once its labels have matured. */
export interface MaturedDay {
  readonly day: number;
  /** `name@version` (formatModelRef). */
  readonly model: string;
  readonly modelName: string;
  readonly modelVersion: string;
  /** With every label reported within the horizon; unlabelled transactions count as genuine. */
  readonly metrics: EvaluationMetrics;
  /** The same day as it looked with the labels known `ageDays` after the day ended (1 .. horizonDays). */
  readonly byLabelAge: readonly { readonly ageDays: number; readonly metrics: EvaluationMetrics }[];
}

/**
 * The delayed-label join: logged predictions and labels by transaction id, per scoring day (UTC day of the event)
 * and model (`name@version`). A day is evaluated once, when stream time (the caller's watermark over both topics) has
 * passed its end by the horizon: its result never changes after that, and its rows are dropped. Labels are read by the
 * rule the rollout's AUC gate shares (label-rule.ts): a label is "fraud" if a fraud report made no earlier than the
 * transaction came within the horizon; a transaction without one is genuine. An id used again (beyond the duplicate
 * horizon, a new transaction) does not share its reports: a report belongs to the earliest prediction of its id, held
 * or remembered, made at or before it, as the training table gives an id's labels to its first recording only
 * (docs/features.md, Duplicates; src/backfill/label-index.ts), so that the live figures use the labels the card's
 * held-out figures were computed with. Days finalise in ascending order: once a final prediction has joined an id's
 * reports, a later prediction of the id joins none of them. Predictions of a day already final, and fraud reports
 * after their day's horizon or arriving once their day is final, are counted as late and left out (the horizon should
 * make them rare).
 *
 * Memory follows the horizon, not the length of the stream: the open days' predictions, the latest windowDays final
 * days' labelled rows per model, the transaction ids and event times of the latest horizonDays final days (what tells
 * a late report from one whose transaction was never scored), and the fraud reports of days not yet final. A report is
 * dropped once the day it was reported on is final: every transaction it can be about happened no later than the
 * report, so by then its prediction has either joined it or could only come late. It is kept until then even after a
 * prediction joined it, marked as taken, since a later transaction with the same id may be on a day still open and
 * must not join it too. One that joined none is counted as unmatched.
 *
 * Pure and deterministic: the same records in any order up to a watermark give the same days, which is what makes the
 * evaluator restart-safe (it rebuilds this state from the topics).
 */
export class DelayedLabelJoin {
  private readonly open = new Map<number, Map<string, LoggedPrediction>>();
  /**
   * Fraud reports per transaction id whose report day is not final, ascending (genuine labels are not kept: no report
   * means genuine). Every report, not the earliest alone: an id used again is told from its earlier use by the
   * reports' times. `accounted`: a final prediction joined them or counted them late; every report made at or after
   * that prediction is then its own, and a later prediction of the id joins none.
   */
  private readonly fraudReportedAt = new Map<string, { reportsMs: readonly number[]; accounted: boolean }>();
  /**
   * Transaction ids of the latest horizonDays final days, with their event times, by day: a fraud report for one of
   * them is late.
   */
  private readonly finalisedIds = new Map<number, ReadonlyMap<string, number>>();
  private readonly matured: MaturedDay[] = [];
  /** Final labelled rows of the latest windowDays days, per model (oldest first). */
  private readonly recent = new Map<
    string,
    { modelName: string; modelVersion: string; days: { day: number; rows: LabelledPrediction[] }[] }
  >();
  private finalUpTo = Number.NEGATIVE_INFINITY;
  latePredictions = 0;
  /** Fraud reports left out as late: reported after their day's horizon, or arriving after their day was final. */
  lateLabels = 0;
  /**
   * Fraud reports dropped without a prediction to join once the day they were reported on was final: their transaction
   * was dead-lettered (never scored), or its day was final more than horizonDays days before the report arrived. Also
   * the reports of a transaction id made only before the prediction it was held for: an earlier use of the id.
   */
  unmatchedLabels = 0;
  duplicates = 0;

  constructor(private readonly policy: EvaluationPolicy) {}

  addPrediction(prediction: LoggedPrediction): void {
    const day = dayOf(prediction.eventTimeMs);
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
    const id = label.transactionId;
    // Made at or after a prediction of a final day: that prediction is the earliest one it can belong to (every open
    // day is later), even when the id is in use again on an open day.
    if (this.finalisedAtOrBefore(id, label.reportedAtMs)) {
      this.lateLabels++;
      return;
    }
    if (!this.isOpen(id)) {
      if (this.wasFinalised(id)) {
        this.lateLabels++;
        return;
      }
      if (dayOf(label.reportedAtMs) <= this.finalUpTo) {
        this.unmatchedLabels++;
        return;
      }
    }
    const known = this.fraudReportedAt.get(id);
    this.fraudReportedAt.set(id, {
      reportsMs: withReportTime(known?.reportsMs ?? [], label.reportedAtMs),
      accounted: known?.accounted ?? false,
    });
  }

  /** Finalises every open day whose horizon ended at or before `watermarkMs`; returns the newly matured days. */
  advance(watermarkMs: number): MaturedDay[] {
    const ready = [...this.open.keys()]
      .filter((day) => dayFinalAtMs(day, this.policy.horizonDays) <= watermarkMs)
      .sort((a, b) => a - b);
    const fresh: MaturedDay[] = [];
    for (const day of ready) {
      const rows = this.open.get(day) as Map<string, LoggedPrediction>;
      this.open.delete(day);
      const byModel = new Map<string, LoggedPrediction[]>();
      for (const row of rows.values()) {
        // name@version: versions are numbered per model name, so a champion card-fraud@1 and a challenger
        // broken-scores@1 share a version and must never be pooled.
        const model = formatModelRef({ name: row.modelName, version: row.modelVersion });
        const list = byModel.get(model);
        if (list) list.push(row);
        else byModel.set(model, [row]);
      }
      const dayEndMs = (day + 1) * DAY_MS;
      const finalAtMs = dayFinalAtMs(day, this.policy.horizonDays);
      for (const [model, predictions] of [...byModel].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const { modelName, modelVersion } = predictions[0] as LoggedPrediction;
        const labelled = (knownByMs: number): LabelledPrediction[] =>
          predictions.map((p) => {
            const reported = this.reportsOpenTo(p.transactionId);
            return {
              score: p.score,
              decision: p.decision,
              isFraud: fraudReportedBy(reported, p.eventTimeMs, knownByMs),
              customerId: p.customerId,
              day,
              amount: p.amount,
            };
          });
        const byLabelAge = Array.from({ length: this.policy.horizonDays }, (_, i) => ({
          ageDays: i + 1,
          metrics: evaluationMetrics(labelled(dayEndMs + (i + 1) * DAY_MS)),
        }));
        const final = labelled(finalAtMs);
        fresh.push({ day, model, modelName, modelVersion, metrics: evaluationMetrics(final), byLabelAge });
        const kept = this.recent.get(model) ?? { modelName, modelVersion, days: [] };
        kept.days.push({ day, rows: final });
        kept.days = kept.days.slice(-this.policy.windowDays);
        this.recent.set(model, kept);
      }
      for (const [id, row] of rows) {
        const reported = this.fraudReportedAt.get(id);
        // Reports made only before the transaction are about an earlier use of its id: they stay unaccounted. Reports
        // an earlier day's prediction took are its own, joined or counted late there.
        if (!reported || reported.accounted) continue;
        if (!fraudReportedBy(reported.reportsMs, row.eventTimeMs, Number.POSITIVE_INFINITY)) continue;
        if (!fraudReportedBy(reported.reportsMs, row.eventTimeMs, finalAtMs)) this.lateLabels++;
        reported.accounted = true;
      }
      this.finalisedIds.set(day, new Map([...rows].map(([id, row]) => [id, row.eventTimeMs])));
      this.finalUpTo = Math.max(this.finalUpTo, day);
    }
    if (ready.length > 0) {
      this.forgetBeyondHorizon();
      this.forgetRetiredModels();
    }
    this.matured.push(...fresh);
    return fresh;
  }

  /**
   * Bounds what is kept for transactions that are final or never scored. Ids of a final day are remembered for
   * horizonDays more days: a fraud report arriving even later is over twice the horizon after its transaction, and
   * telling it from one for a transaction never scored is not worth holding every id for ever.
   */
  private forgetBeyondHorizon(): void {
    for (const day of this.finalisedIds.keys()) {
      if (day <= this.finalUpTo - this.policy.horizonDays) this.finalisedIds.delete(day);
    }
    for (const [id, { reportsMs, accounted }] of this.fraudReportedAt) {
      // Their transactions' days are final too (no later than the reports'): joined by now, or never will be.
      if (dayOf(reportsMs[reportsMs.length - 1] as number) <= this.finalUpTo) {
        this.fraudReportedAt.delete(id);
        if (!accounted) this.unmatchedLabels++;
      }
    }
  }

  /**
   * Drops the live figures of a model whose latest final day is more than windowDays behind the newest final day: it
   * no longer serves (rolled back, a rollout ended), and its figures would otherwise stay, a mismatch with them, for
   * the life of the evaluator. A model that serves again starts afresh with its next final day.
   */
  private forgetRetiredModels(): void {
    for (const [model, { days }] of this.recent) {
      const latest = days[days.length - 1]?.day ?? Number.NEGATIVE_INFINITY;
      if (this.finalUpTo - latest > this.policy.windowDays) this.recent.delete(model);
    }
  }

  private isOpen(transactionId: string): boolean {
    for (const rows of this.open.values()) if (rows.has(transactionId)) return true;
    return false;
  }

  private wasFinalised(transactionId: string): boolean {
    for (const ids of this.finalisedIds.values()) if (ids.has(transactionId)) return true;
    return false;
  }

  /** Whether a remembered final prediction of the id was made at or before `reportedAtMs`. */
  private finalisedAtOrBefore(transactionId: string, reportedAtMs: number): boolean {
    for (const ids of this.finalisedIds.values()) if ((ids.get(transactionId) ?? Infinity) <= reportedAtMs) return true;
    return false;
  }

  /** The id's fraud reports a prediction being finalised may join: none once an earlier final one took them. */
  private reportsOpenTo(transactionId: string): readonly number[] {
    const reported = this.fraudReportedAt.get(transactionId);
    return reported && !reported.accounted ? reported.reportsMs : [];
  }

  /** Every day finalised so far, by day then model. */
  maturedDays(): readonly MaturedDay[] {
    return this.matured;
  }

  /**
   * The live figure per model (`name@version`) that still serves (forgetRetiredModels): the latest windowDays final
   * days pooled (AUC and AP over all their rows,
   * card precision@100 the mean of the days' values), as the card's held-out figures are computed over its days.
   */
  live(): Map<string, LiveMetrics> {
    const out = new Map<string, LiveMetrics>();
    for (const [model, { modelName, modelVersion, days }] of this.recent) {
      const rows = days.flatMap((d) => d.rows);
      const metrics = evaluationMetrics(rows);
      out.set(model, {
        modelName,
        modelVersion,
        days: days.map((d) => d.day),
        metrics,
        standardErrors: standardErrors(rows, metrics),
      });
    }
    return out;
  }

  /** Scoring days still waiting for their labels. */
  openDays(): number[] {
    return [...this.open.keys()].sort((a, b) => a - b);
  }

  /** Transaction ids with fraud reports held: until the day they were reported on is final. */
  heldLabels(): number {
    return this.fraudReportedAt.size;
  }
}
