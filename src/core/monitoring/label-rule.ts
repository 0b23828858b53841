import type { LabelEvent } from '../contract/events.js';

/**
 * How the labels topic is read, agreed once for the delayed-label evaluator (evaluation.ts) and the rollout's AUC gate
 * (control/evidence.ts), so that a model judged in rollout is judged on the labels it is later evaluated on.
 *
 * A transaction is fraud if any fraud report for it came within the horizon of its UTC event day (a "not fraud"
 * report, earlier or later, clears nothing). A transaction without such a report is genuine once its day is final:
 * stream time has passed the day's end by the horizon. Labels topics that carry fraud reports only are therefore as
 * good as those that also confirm genuine transactions; the confirmations only let a record count sooner.
 *
 * A label names its transaction by id alone, and an id may come back as a new transaction once the duplicate horizon
 * has passed (docs/features.md, Duplicates). What ties a report to one use of the id is time: a report counts for a
 * transaction only if it was made no earlier than the transaction's event time. A report made before is about an
 * earlier transaction with the same id, and a reused id does not inherit it. A report made after both uses belongs to
 * the earlier one alone, as the training table gives an id's labels to its first recording only: the evaluator joins
 * it to the earliest prediction it holds or remembers (evaluation.ts), the gates and the shadow report to the earliest
 * score they read (control/evidence.ts, earliestUses).
 */

export const DAY_MS = 86_400_000;

/** The UTC day of an epoch-ms time, as a day number (days since the epoch). */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

/** When a scoring day is final: its end plus the horizon. A fraud report after this is late and does not count. */
export function dayFinalAtMs(day: number, horizonDays: number): number {
  return (day + 1 + horizonDays) * DAY_MS;
}

/** The latest day that is final at `atMs` (dayFinalAtMs(day) <= atMs); minus infinity before any. */
export function latestFinalDay(atMs: number, horizonDays: number): number {
  return Math.floor(atMs / DAY_MS) - 1 - horizonDays;
}

/** What the labels topic said about one transaction id, all its reports folded (foldLabelReport). */
export interface LabelView {
  /**
   * The time of every fraud report, ascending, each once. Not only the earliest: when an id was used by two
   * transactions, the earliest report may be about the first one and a later report about the second.
   */
  readonly fraudReportsMs: readonly number[];
  /** The latest "not fraud" report (a confirmed legitimate transaction); null when none came. */
  readonly genuineReportedAtMs: number | null;
}

/** `reportsMs` (ascending, each once) with `reportedAtMs` in its place; the same array when it holds it already. */
export function withReportTime(reportsMs: readonly number[], reportedAtMs: number): readonly number[] {
  let at = reportsMs.length;
  while (at > 0 && (reportsMs[at - 1] as number) > reportedAtMs) at--;
  if (reportsMs[at - 1] === reportedAtMs) return reportsMs;
  return [...reportsMs.slice(0, at), reportedAtMs, ...reportsMs.slice(at)];
}

/** One more report folded in. Order does not matter: every fraud report is kept whatever came around it. */
export function foldLabelReport(
  known: LabelView | undefined,
  report: Pick<LabelEvent, 'isFraud' | 'reportedAtMs'>,
): LabelView {
  const fraudReportsMs = known?.fraudReportsMs ?? [];
  const genuineReportedAtMs = known?.genuineReportedAtMs ?? null;
  if (!report.isFraud) {
    return {
      fraudReportsMs,
      genuineReportedAtMs:
        genuineReportedAtMs === null ? report.reportedAtMs : Math.max(genuineReportedAtMs, report.reportedAtMs),
    };
  }
  return { fraudReportsMs: withReportTime(fraudReportsMs, report.reportedAtMs), genuineReportedAtMs };
}

/**
 * Whether a transaction at `eventTimeMs` is known as fraud by `knownByMs` (at most its day's final instant), given the
 * fraud reports for its id (ascending): some report made at or after the transaction, and no later than `knownByMs`.
 */
export function fraudReportedBy(reportsMs: readonly number[], eventTimeMs: number, knownByMs: number): boolean {
  const first = reportsMs.find((ms) => ms >= eventTimeMs);
  return first !== undefined && first <= knownByMs;
}

/** The clock labels are read against. */
export interface LabelClock {
  /** `monitoring.evaluation.horizonDays`. */
  readonly horizonDays: number;
  /** Stream time of the topics read: the latest event time or report time seen. */
  readonly streamTimeMs: number;
  /**
   * The wall clock. A day is final only once both clocks have passed its horizon: stream time alone could be pushed
   * ahead by one mis-dated report, and the wall clock alone would finalise every day of a replayed or simulated
   * history at once, before its fraud reports have been read.
   */
  readonly nowMs: number;
}

/**
 * A transaction's label as far as it is known: true fraud, false genuine, null not yet (no fraud report within the
 * horizon, no confirmation, and its day not final).
 */
export function labelOf(label: LabelView | undefined, eventTimeMs: number, clock: LabelClock): boolean | null {
  const finalAtMs = dayFinalAtMs(dayOf(eventTimeMs), clock.horizonDays);
  if (label && fraudReportedBy(label.fraudReportsMs, eventTimeMs, finalAtMs)) return true;
  // A confirmed genuine transaction counts at once, before its day is final: a fraud report within the horizon may
  // still come and then wins, as it does in the evaluator, which sees all of them.
  const confirmedAtMs = label?.genuineReportedAtMs ?? null;
  if (confirmedAtMs !== null && confirmedAtMs >= eventTimeMs) return false;
  return finalAtMs <= finalisingMs(clock) ? false : null;
}

/**
 * How far a reader has come for judging days final: stream time, but never past the wall clock (LabelClock.nowMs).
 * The rollout gate and the delayed-label evaluator both judge by it.
 */
export function finalisingMs(clock: Pick<LabelClock, 'streamTimeMs' | 'nowMs'>): number {
  return Math.min(clock.streamTimeMs, clock.nowMs);
}
