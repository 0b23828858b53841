import type { LabelEvent } from '../core/contract/events.js';

export interface TrainingLabel {
  /** 1 if a fraud label was reported at or before the as-of time. */
  readonly label: 0 | 1;
  /** The report that decided it (the earliest fraud report, else the earliest non-fraud one); null if none known. */
  readonly reportedAtMs: number | null;
}

/** The index as plain arrays, to hand it to a worker thread (structured clone of strings and typed arrays). */
export interface LabelIndexData {
  readonly transactionIds: readonly string[];
  readonly fraudAt: Float64Array;
  readonly legitimateAt: Float64Array;
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
  labels = 0;
  fraudLabels = 0;
  latestReportedAtMs: number | null = null;

  static fromData(data: LabelIndexData): LabelIndex {
    const index = new LabelIndex();
    data.transactionIds.forEach((id, i) => {
      index.reports.set(id, { fraudAt: data.fraudAt[i]!, legitimateAt: data.legitimateAt[i]! });
    });
    return index;
  }

  toData(): LabelIndexData {
    const transactionIds = [...this.reports.keys()];
    const fraudAt = new Float64Array(transactionIds.length);
    const legitimateAt = new Float64Array(transactionIds.length);
    let i = 0;
    for (const reports of this.reports.values()) {
      fraudAt[i] = reports.fraudAt;
      legitimateAt[i++] = reports.legitimateAt;
    }
    return { transactionIds, fraudAt, legitimateAt };
  }

  add(labels: readonly LabelEvent[]): void {
    for (const label of labels) {
      this.labels++;
      if (this.latestReportedAtMs === null || label.reportedAtMs > this.latestReportedAtMs) {
        this.latestReportedAtMs = label.reportedAtMs;
      }
      let reports = this.reports.get(label.transactionId);
      if (reports === undefined) {
        reports = { fraudAt: Infinity, legitimateAt: Infinity };
        this.reports.set(label.transactionId, reports);
      }
      if (label.isFraud) {
        this.fraudLabels++;
        reports.fraudAt = Math.min(reports.fraudAt, label.reportedAtMs);
      } else {
        reports.legitimateAt = Math.min(reports.legitimateAt, label.reportedAtMs);
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
