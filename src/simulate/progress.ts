import type { SimulatedRecord } from '../core/simulate/index.js';

/** Where a running simulation is, for a progress bar or a log line. */
export interface SimulationProgress {
  /** Simulated time reached (event time or reported_at of the last record handled), epoch ms. */
  readonly simulatedTimeMs: number;
  readonly transactions: number;
  readonly labels: number;
  readonly hostile: number;
}

export type ProgressListener = (progress: SimulationProgress) => void;

/** Reporting every record would cost more than producing it; this many records between reports keeps it invisible. */
const REPORT_EVERY = 10_000;

/** Counts records and calls the listener every REPORT_EVERY records and once at the end. */
export class ProgressCounter {
  private transactions = 0;
  private labels = 0;
  private hostile = 0;
  private simulatedTimeMs = 0;
  private sinceReport = 0;

  constructor(private readonly listener: ProgressListener | undefined) {}

  count(record: SimulatedRecord): void {
    switch (record.kind) {
      case 'transaction':
        this.transactions += 1;
        this.simulatedTimeMs = record.event.eventTimeMs;
        break;
      case 'label':
        this.labels += 1;
        this.simulatedTimeMs = record.label.reportedAtMs;
        break;
      case 'hostile':
        this.hostile += 1;
        break;
    }
    if (++this.sinceReport >= REPORT_EVERY) this.report();
  }

  report(): void {
    this.sinceReport = 0;
    this.listener?.({
      simulatedTimeMs: this.simulatedTimeMs,
      transactions: this.transactions,
      labels: this.labels,
      hostile: this.hostile,
    });
  }
}
