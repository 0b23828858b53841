import type { LabelEvent } from '../contract/events.js';

/**
 * How the labels topic is read, agreed once for the delayed-label evaluator (evaluation.ts) and the rollout's AUC gate
 * (control/evidence.ts), so that a model judged in rollout is judged on the labels it is later evaluated on.
 *
 * A transaction is fraud if any fraud report for it came within the horizon of its UTC event day (a "not fraud"
 * report, earlier or later, clears nothing). A transaction without such a report is genuine once its day is final:
 * stream time has passed the day's end by the horizon. Labels topics that carry fraud reports only are therefore as
 * good as those that also confirm genuine transactions; the confirmations only let a record count sooner.
 */

export const DAY_MS = 86_400_000;

/** The UTC day of an epoch-ms time, as a day number (days since the epoch). */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

/** When a scoring day is final: its end plus the horizon. A fraud report after this is late and does not count. */
export function dayFinalAtMs(day: number, horizonDays: number): number {
  return (day + 1 + horizonDays) * DAY_MS;
}

/** What the labels topic said about one transaction, all its reports folded (foldLabelReport). */
export interface LabelView {
  /** The earliest fraud report; null when none came. */
  readonly fraudReportedAtMs: number | null;
  /** Some report said "not fraud" (a confirmed legitimate transaction). */
  readonly genuineReported: boolean;
}

/** One more report folded in. Order does not matter: the earliest fraud report is kept whatever came around it. */
export function foldLabelReport(
  known: LabelView | undefined,
  report: Pick<LabelEvent, 'isFraud' | 'reportedAtMs'>,
): LabelView {
  const fraudReportedAtMs = known?.fraudReportedAtMs ?? null;
  const genuineReported = known?.genuineReported ?? false;
  if (!report.isFraud) return { fraudReportedAtMs, genuineReported: true };
  return {
    fraudReportedAtMs:
      fraudReportedAtMs === null ? report.reportedAtMs : Math.min(fraudReportedAtMs, report.reportedAtMs),
    genuineReported,
  };
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
  if (label && label.fraudReportedAtMs !== null && label.fraudReportedAtMs <= finalAtMs) return true;
  // A confirmed genuine transaction counts at once, before its day is final: a fraud report within the horizon may
  // still come and then wins, as it does in the evaluator, which sees all of them.
  if (label?.genuineReported) return false;
  return finalAtMs <= Math.min(clock.streamTimeMs, clock.nowMs) ? false : null;
}
