import { grown, IdSlots } from './id-slots.js';
import type { LabelEvent } from '../core/contract/events.js';

/** A row's training target as known at an as-of time; filled in place (one object per batch, not per row). */
export interface TrainingTarget {
  /** 1 if a fraud label was reported at or before the as-of time. */
  label: 0 | 1;
  /** The report that decided it (the earliest fraud report, else the earliest non-fraud one); NaN if none known. */
  labelReportedAtMs: number;
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

/**
 * The training target of each transaction, as known at an as-of time; kept apart from the feature state.
 *
 * Built for millions of labels: each transaction id gets a slot number (IdSlots: no string or map entry per id), and
 * the earliest fraud and non-fraud report of each slot live in two growable typed arrays (NaN: none).
 *
 * Labels name only an id, and an id seen again beyond the duplicate horizon is a new transaction: the features join
 * the id's labels to its first recording only (docs/features.md, Duplicates), so the target does too. The index
 * notes which labelled ids were recorded already (`noteRecording`, in log order, rows or not): a later recording
 * gets no target from the id's labels. Ids without labels take no slot, so this costs nothing per unlabelled event.
 */
export class LabelIndex {
  private readonly slots = new IdSlots();
  private fraudAt = new Float64Array(1 << 16);
  private legitimateAt = new Float64Array(1 << 16);
  /** Per slot: 1 once a recording of the id went by (its labels belong to that one). */
  private recorded = new Uint8Array(1 << 16);

  add(batch: LabelBatch): void {
    const { ids, idEnds, reportedAtMs, isFraud } = batch;
    let start = 0;
    for (let i = 0; i < idEnds.length; i++) {
      const known = this.slots.size;
      const slot = this.slots.insert(ids, start, idEnds[i]!);
      start = idEnds[i]!;
      if (slot === known) {
        if (slot === this.fraudAt.length) this.grow();
        this.fraudAt[slot] = Number.NaN;
        this.legitimateAt[slot] = Number.NaN;
      }
      const reports = isFraud[i] === 1 ? this.fraudAt : this.legitimateAt;
      // The earliest report of each kind (NaN, none yet, compares false).
      if (!(reportedAtMs[i]! >= reports[slot]!)) reports[slot] = reportedAtMs[i]!;
    }
  }

  /**
   * Notes a recording of text[from, to) (an event the feature state recorded: no duplicate), in log order. Returns
   * true when it is a later recording of a labelled id: the id's labels belong to an earlier one.
   */
  noteRecording(text: string, from = 0, to = text.length): boolean {
    return this.recordedBefore(this.slots.slotOf(text, from, to));
  }

  /**
   * Fills `into` with the target of this recording of the transaction (noted as by noteRecording): its labels as
   * known at asOfMs for its first recording, none (0, NaN) for a later one. Returns true for a later recording of a
   * labelled id. One lookup of the id: it runs for every row.
   */
  targetOfRecording(transactionId: string, asOfMs: number, into: TrainingTarget): boolean {
    const slot = this.slots.slotOf(transactionId);
    const later = this.recordedBefore(slot);
    this.fill(later ? -1 : slot, asOfMs, into);
    return later;
  }

  /** Fills `into` with the transaction's target as known at asOfMs, whatever was recorded. */
  targetOf(transactionId: string, asOfMs: number, into: TrainingTarget): void {
    this.fill(this.slots.slotOf(transactionId), asOfMs, into);
  }

  /** Whether a labelled id's slot was recorded before; notes this recording (-1: no labels, nothing to note). */
  private recordedBefore(slot: number): boolean {
    if (slot === -1) return false;
    if (this.recorded[slot] === 1) return true;
    this.recorded[slot] = 1;
    return false;
  }

  /** The target of a slot's labels as known at asOfMs (-1: none). */
  private fill(slot: number, asOfMs: number, into: TrainingTarget): void {
    into.label = 0;
    into.labelReportedAtMs = Number.NaN;
    if (slot === -1) return;
    const fraudAt = this.fraudAt[slot]!;
    const legitimateAt = this.legitimateAt[slot]!;
    if (fraudAt <= asOfMs) {
      into.label = 1;
      into.labelReportedAtMs = fraudAt;
    } else if (legitimateAt <= asOfMs) {
      into.labelReportedAtMs = legitimateAt;
    }
  }

  private grow(): void {
    this.fraudAt = grown(this.fraudAt);
    this.legitimateAt = grown(this.legitimateAt);
    this.recorded = grown(this.recorded);
  }
}
