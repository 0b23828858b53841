import { FraudScenario } from './fraud.js';
import { HOSTILE_KINDS, type HostileKind } from './hostile.js';
import type { SimulatedRecord } from './simulated-record.js';

export interface SimulationSummary {
  readonly transactions: number;
  readonly frauds: number;
  readonly fraudsByScenario: Readonly<Record<Exclude<FraudScenario, 'none'>, number>>;
  readonly labels: number;
  readonly fraudLabels: number;
  readonly hostile: number;
  readonly hostileByKind: Readonly<Record<HostileKind, number>>;
  /** Event time of the first and last transaction, epoch ms; null when there were none. */
  readonly firstEventMs: number | null;
  readonly lastEventMs: number | null;
  /** reported_at of the last label, epoch ms; null when there were none. */
  readonly lastLabelMs: number | null;
}

/** Counts a stream as it passes, in O(1) memory. */
export class SummaryAccumulator {
  private transactions = 0;
  private frauds = 0;
  private readonly byScenario = new Map<FraudScenario, number>();
  private labels = 0;
  private fraudLabels = 0;
  private hostile = 0;
  private readonly byKind = new Map<HostileKind, number>();
  private firstEventMs: number | null = null;
  private lastEventMs: number | null = null;
  private lastLabelMs: number | null = null;

  add(record: SimulatedRecord): void {
    switch (record.kind) {
      case 'transaction': {
        const e = record.event;
        this.transactions += 1;
        if (e.scenario !== FraudScenario.None) {
          this.frauds += 1;
          this.byScenario.set(e.scenario, (this.byScenario.get(e.scenario) ?? 0) + 1);
        }
        this.firstEventMs ??= e.eventTimeMs;
        this.lastEventMs = e.eventTimeMs;
        return;
      }
      case 'label': {
        const l = record.label;
        this.labels += 1;
        if (l.isFraud) this.fraudLabels += 1;
        this.lastLabelMs = l.reportedAtMs;
        return;
      }
      case 'hostile':
        this.hostile += 1;
        this.byKind.set(record.record.kind, (this.byKind.get(record.record.kind) ?? 0) + 1);
        return;
    }
  }

  result(): SimulationSummary {
    return {
      transactions: this.transactions,
      frauds: this.frauds,
      fraudsByScenario: {
        [FraudScenario.AmountOutlier]: this.byScenario.get(FraudScenario.AmountOutlier) ?? 0,
        [FraudScenario.CompromisedTerminal]: this.byScenario.get(FraudScenario.CompromisedTerminal) ?? 0,
        [FraudScenario.CompromisedCard]: this.byScenario.get(FraudScenario.CompromisedCard) ?? 0,
      },
      labels: this.labels,
      fraudLabels: this.fraudLabels,
      hostile: this.hostile,
      hostileByKind: Object.fromEntries(HOSTILE_KINDS.map((k) => [k, this.byKind.get(k) ?? 0])) as Record<
        HostileKind,
        number
      >,
      firstEventMs: this.firstEventMs,
      lastEventMs: this.lastEventMs,
      lastLabelMs: this.lastLabelMs,
    };
  }
}
