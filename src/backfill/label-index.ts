import type { LabelEvent } from '../core/contract/events.js';

export interface TrainingLabel {
  /** 1 if a fraud label was reported at or before the as-of time. */
  readonly label: 0 | 1;
  /** The report that decided it (the earliest fraud report, else the earliest non-fraud one); null if none known. */
  readonly reportedAtMs: number | null;
}

const UNLABELLED: TrainingLabel = Object.freeze({ label: 0, reportedAtMs: null });

/** The training target of each transaction, as known at an as-of time; kept apart from the feature state. */
export class LabelIndex {
  private readonly fraudAt = new Map<string, number>();
  private readonly legitimateAt = new Map<string, number>();
  labels = 0;
  fraudLabels = 0;
  latestReportedAtMs: number | null = null;

  add(labels: readonly LabelEvent[]): void {
    for (const label of labels) {
      this.labels++;
      if (this.latestReportedAtMs === null || label.reportedAtMs > this.latestReportedAtMs) {
        this.latestReportedAtMs = label.reportedAtMs;
      }
      const map = label.isFraud ? this.fraudAt : this.legitimateAt;
      if (label.isFraud) this.fraudLabels++;
      const known = map.get(label.transactionId);
      if (known === undefined || label.reportedAtMs < known) {
        map.set(label.transactionId, label.reportedAtMs);
      }
    }
  }

  labelOf(transactionId: string, asOfMs: number): TrainingLabel {
    const fraudAt = this.fraudAt.get(transactionId);
    if (fraudAt !== undefined && fraudAt <= asOfMs) {
      return { label: 1, reportedAtMs: fraudAt };
    }
    const legitimateAt = this.legitimateAt.get(transactionId);
    if (legitimateAt !== undefined && legitimateAt <= asOfMs) {
      return { label: 0, reportedAtMs: legitimateAt };
    }
    return UNLABELLED;
  }
}
