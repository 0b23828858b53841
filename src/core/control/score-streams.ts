import { dayOf, finalisingMs, foldLabelReport, latestFinalDay, type LabelView } from '../monitoring/label-rule.js';
import { StreamTime } from '../monitoring/stream-time.js';
import type { ScoreRetention, ScoreView } from './evidence.js';

/** One record of the labels topic, decoded. */
export interface LabelReport {
  readonly transactionId: string;
  readonly isFraud: boolean;
  readonly reportedAtMs: number;
}

const KEEP_ALL: ScoreRetention = { scoredFromMs: Number.NEGATIVE_INFINITY, rolloutOnly: false };

/** When the latest report of a label was made. */
function lastReportMs(label: LabelView): number {
  const lastFraud = label.fraudReportsMs[label.fraudReportsMs.length - 1] ?? Number.NEGATIVE_INFINITY;
  return Math.max(lastFraud, label.genuineReportedAtMs ?? Number.NEGATIVE_INFINITY);
}

/**
 * What the rollout gates and the shadow report read of the output and labels topics, fed batch by batch by the score
 * follower (no I/O here): the scores a reader still needs, the reports of their transactions, and stream time as the
 * delayed-label evaluator keeps it (StreamTime: a partition read ahead of another does not make a day final while the
 * other may still hold its records).
 *
 * Memory is bounded by what the readers state, not by how long the topics are followed:
 * - Scores: those the retention asks for (ScoreRetention: the live stage's since it started, for the gates; those since
 *   `--since`, for the shadow report). A reader tightens it as it goes (retain).
 * - Labels: those of a kept score's transaction id, and those that may yet be of one. A report can only be about a
 *   transaction made no later than itself (label-rule.ts), so once the day it was made on is final against the stream
 *   time of the scores (the output topic alone: labels are often read far ahead of the scores), every transaction it
 *   can be about lies on a final day. A label all of whose reports are that old, and that no kept score refers to, is
 *   let go; a report that old arriving for no kept score is not kept at all.
 * - First uses: the transaction id and event time of every score read in time, kept or not, until horizonDays after
 *   its day is final (about twice the horizon of traffic, as the evaluator holds): what gives a reused id's reports to
 *   its first use (firstUses).
 * - A score read after its own day was final against that same stream time is marked late (ScoreView.late) and read
 *   without a label, as the evaluator leaves a late prediction out: its reports may have been let go before it came.
 *   Every other kept score is judged on exactly the reports it would be judged on if nothing were ever let go.
 */
export class ScoreStreams {
  private kept: ScoreView[] = [];
  private readonly labelsById = new Map<string, LabelView>();
  /** How many kept scores there are of each transaction id: their labels are kept. */
  private readonly referenced = new Map<string, number>();
  /** Transaction ids by the day of their label's latest report: looked at again once that day is final. */
  private readonly byReportDay = new Map<number, Set<string>>();
  /**
   * The earliest event time of each transaction id among every score read in time, kept or not (what the evaluator
   * holds or remembers of its predictions): a later use of an id reads none of its reports (labelOfScore). An id is
   * let go horizonDays after its first use's day is final, as the evaluator lets go of a final day's ids.
   */
  private readonly firstUse = new Map<string, number>();
  /** Transaction ids by the day of their first use: let go of once that day is final by the horizon. */
  private readonly byFirstUseDay = new Map<number, Set<string>>();
  /** Both topics: what labels are judged against (LabelClock.streamTimeMs), as the evaluator's watermark. */
  private readonly time = new StreamTime();
  /** The output topic alone: how far the scores have come. */
  private readonly scoredTime = new StreamTime();
  /** The latest day final against scoredTime and the clock: reports of it or earlier may be let go. */
  private finalDay = Number.NEGATIVE_INFINITY;
  private retention: ScoreRetention;
  /** Scores read, kept or not. */
  scoresRead = 0;

  constructor(private readonly options: { readonly horizonDays: number; readonly retention?: ScoreRetention }) {
    this.retention = options.retention ?? KEEP_ALL;
  }

  /** The scores kept, in the order read. */
  get scores(): readonly ScoreView[] {
    return this.kept;
  }

  /** The reports of each transaction id kept, folded (labelOfScore reads them). */
  get labels(): ReadonlyMap<string, LabelView> {
    return this.labelsById;
  }

  /** The earliest use of each transaction id read (stageEvidence, buildShadowReport: `firstUses`). */
  get firstUses(): ReadonlyMap<string, number> {
    return this.firstUse;
  }

  /** The stream time days are judged final against (LabelClock.streamTimeMs). */
  get streamTimeMs(): number {
    return this.time.ms;
  }

  /** Every partition of both topics is read to its end (as far as the batches read so far tell). */
  caughtUp(): boolean {
    return this.time.caughtUp();
  }

  /** A partition as its offsets show it before reading: one with records holds stream time back until they are read. */
  expectPartition(topic: 'output' | 'labels', partition: string, hasRecords: boolean): void {
    this.time.expect(partition, hasRecords);
    if (topic === 'output') this.scoredTime.expect(partition, hasRecords);
  }

  /** A batch of the output topic, and whether its partition is read to its end after it. */
  readScores(partition: string, views: readonly ScoreView[], atEnd: boolean, nowMs: number): void {
    for (const view of views) {
      this.scoresRead++;
      const late = dayOf(view.eventTimeMs) <= this.finalDay;
      // A late score is left out, as the evaluator leaves a late prediction out: it takes no report from a later use.
      if (!late) this.noteUse(view);
      if (!this.wanted(view)) continue;
      this.kept.push(late ? { ...view, late: true } : view);
      this.referenced.set(view.transactionId, (this.referenced.get(view.transactionId) ?? 0) + 1);
    }
    const times = views.map((view) => view.eventTimeMs);
    this.time.read(partition, times, atEnd);
    this.scoredTime.read(partition, times, atEnd);
    this.letGoOfFinalLabels(nowMs);
  }

  /** A batch of the labels topic, and whether its partition is read to its end after it. */
  readLabels(partition: string, reports: readonly LabelReport[], atEnd: boolean, nowMs: number): void {
    for (const report of reports) {
      const id = report.transactionId;
      const known = this.labelsById.get(id);
      // A report without a usable time counts for no transaction (label-rule.ts compares it).
      if (!Number.isFinite(report.reportedAtMs)) continue;
      if (!known && !this.referenced.has(id) && dayOf(report.reportedAtMs) <= this.finalDay) continue;
      const label = foldLabelReport(known, report);
      this.labelsById.set(id, label);
      const day = dayOf(lastReportMs(label));
      const ids = this.byReportDay.get(day);
      if (ids) ids.add(id);
      else this.byReportDay.set(day, new Set([id]));
    }
    this.time.read(
      partition,
      reports.map((report) => report.reportedAtMs),
      atEnd,
    );
    this.letGoOfFinalLabels(nowMs);
  }

  /**
   * What the readers need from now on. Scores it no longer asks for are let go, and so are the labels only they
   * referred to (once final); scores read later are kept only if it asks for them. Asking for more later does not
   * bring back what was let go.
   */
  retain(retention: ScoreRetention): void {
    const before = this.retention;
    this.retention = retention;
    const tighter = retention.scoredFromMs > before.scoredFromMs || (retention.rolloutOnly && !before.rolloutOnly);
    if (!tighter) return;
    const kept: ScoreView[] = [];
    for (const view of this.kept) {
      if (this.wanted(view)) {
        kept.push(view);
        continue;
      }
      const id = view.transactionId;
      const left = (this.referenced.get(id) ?? 1) - 1;
      if (left > 0) {
        this.referenced.set(id, left);
        continue;
      }
      this.referenced.delete(id);
      this.letGoOfLabel(id);
    }
    this.kept = kept;
  }

  private noteUse(view: ScoreView): void {
    const known = this.firstUse.get(view.transactionId);
    if (known !== undefined && known <= view.eventTimeMs) return;
    this.firstUse.set(view.transactionId, view.eventTimeMs);
    const day = dayOf(view.eventTimeMs);
    const ids = this.byFirstUseDay.get(day);
    if (ids) ids.add(view.transactionId);
    else this.byFirstUseDay.set(day, new Set([view.transactionId]));
  }

  private wanted(view: ScoreView): boolean {
    return view.scoredAtMs >= this.retention.scoredFromMs && (!this.retention.rolloutOnly || view.stage >= 0);
  }

  private letGoOfFinalLabels(nowMs: number): void {
    // The clock too, as LabelClock has it: one mis-dated score must not make every day look final.
    const finalDay = latestFinalDay(
      finalisingMs({ streamTimeMs: this.scoredTime.ms, nowMs }),
      this.options.horizonDays,
    );
    if (!(finalDay > this.finalDay)) return;
    this.finalDay = finalDay;
    for (const [day, ids] of this.byReportDay) {
      if (day > finalDay) continue;
      this.byReportDay.delete(day);
      for (const id of ids) this.letGoOfLabel(id);
    }
    for (const [day, ids] of this.byFirstUseDay) {
      if (day > finalDay - this.options.horizonDays) continue;
      this.byFirstUseDay.delete(day);
      for (const id of ids) if (dayOf(this.firstUse.get(id) ?? Number.NaN) === day) this.firstUse.delete(id);
    }
  }

  private letGoOfLabel(id: string): void {
    const label = this.labelsById.get(id);
    if (label && !this.referenced.has(id) && dayOf(lastReportMs(label)) <= this.finalDay) this.labelsById.delete(id);
  }
}
