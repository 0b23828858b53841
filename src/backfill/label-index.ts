import type { LabelEvent } from '../core/contract/events.js';

export interface TrainingLabel {
  /** 1 if a fraud label was reported at or before the as-of time. */
  readonly label: 0 | 1;
  /** The report that decided it (the earliest fraud report, else the earliest non-fraud one); null if none known. */
  readonly reportedAtMs: number | null;
}

/**
 * A batch of labels in columns, to hand to the table writer thread as they are read: one string of concatenated
 * transaction ids (idEnds[i] is where id i ends) and typed arrays, which cross cheaply (the arrays are transferred).
 */
export interface LabelBatch {
  readonly ids: string;
  readonly idEnds: Uint32Array;
  readonly reportedAtMs: Float64Array;
  /** 1 for a fraud report. */
  readonly isFraud: Uint8Array;
}

export function labelBatchOf(labels: readonly LabelEvent[]): LabelBatch {
  let ids = '';
  const idEnds = new Uint32Array(labels.length);
  const reportedAtMs = new Float64Array(labels.length);
  const isFraud = new Uint8Array(labels.length);
  labels.forEach((label, i) => {
    ids += label.transactionId;
    idEnds[i] = ids.length;
    reportedAtMs[i] = label.reportedAtMs;
    isFraud[i] = label.isFraud ? 1 : 0;
  });
  return { ids, idEnds, reportedAtMs, isFraud };
}

/** What the manifest says about the labels read; kept by the main thread, which no longer holds the index. */
export class LabelTally {
  labels = 0;
  fraudLabels = 0;
  latestReportedAtMs: number | null = null;

  add(labels: readonly LabelEvent[]): void {
    for (const label of labels) {
      this.labels++;
      if (label.isFraud) this.fraudLabels++;
      if (this.latestReportedAtMs === null || label.reportedAtMs > this.latestReportedAtMs) {
        this.latestReportedAtMs = label.reportedAtMs;
      }
    }
  }
}

const UNLABELLED: TrainingLabel = Object.freeze({ label: 0, reportedAtMs: null });

interface Reports {
  /** Earliest fraud report, Infinity if none. */
  fraudAt: number;
  /** Earliest non-fraud report, Infinity if none. */
  legitimateAt: number;
}

/** The training target of each transaction, as known at an as-of time; kept apart from the feature state. */
export class LabelIndex {
  // One map for both kinds: most transactions have no label, and a miss should cost one lookup, not two.
  private readonly reports = new Map<string, Reports>();

  add(batch: LabelBatch): void {
    const { ids, idEnds, reportedAtMs, isFraud } = batch;
    let start = 0;
    for (let i = 0; i < idEnds.length; i++) {
      const transactionId = ids.slice(start, idEnds[i]!);
      start = idEnds[i]!;
      let reports = this.reports.get(transactionId);
      if (reports === undefined) {
        reports = { fraudAt: Infinity, legitimateAt: Infinity };
        this.reports.set(transactionId, reports);
      }
      if (isFraud[i] === 1) {
        reports.fraudAt = Math.min(reports.fraudAt, reportedAtMs[i]!);
      } else {
        reports.legitimateAt = Math.min(reports.legitimateAt, reportedAtMs[i]!);
      }
    }
  }

  labelOf(transactionId: string, asOfMs: number): TrainingLabel {
    const reports = this.reports.get(transactionId);
    if (reports === undefined) {
      return UNLABELLED;
    }
    if (reports.fraudAt <= asOfMs) {
      return { label: 1, reportedAtMs: reports.fraudAt };
    }
    if (reports.legitimateAt <= asOfMs) {
      return { label: 0, reportedAtMs: reports.legitimateAt };
    }
    return UNLABELLED;
  }
}
