import { foldLabelReport, type LabelView } from '../monitoring/label-rule.js';
import { StreamTime } from '../monitoring/stream-time.js';
import type { ScoreView } from './evidence.js';

/** One record of the output or labels topic, decoded. */
export type StreamRecord =
  | { readonly kind: 'score'; readonly view: ScoreView }
  | {
      readonly kind: 'label';
      readonly transactionId: string;
      readonly isFraud: boolean;
      readonly reportedAtMs: number;
    };

/**
 * What the rollout gates and the shadow report read of the output and labels topics: the scores, every report of each
 * transaction id folded, and stream time as the delayed-label evaluator keeps it (StreamTime: a partition read ahead
 * of another does not make a day final while the other may still hold its records). The score follower feeds it batch
 * by batch; it does no I/O.
 */
export class ScoreStreams {
  private readonly kept: ScoreView[] = [];
  private readonly labelsById = new Map<string, LabelView>();
  private readonly time = new StreamTime();

  constructor(private readonly options: { readonly sinceMs?: number } = {}) {}

  /** The scores kept: scored since `sinceMs`, in the order read. */
  get scores(): readonly ScoreView[] {
    return this.kept;
  }

  /** Every report of each transaction id, folded (labelOf reads them). */
  get labels(): ReadonlyMap<string, LabelView> {
    return this.labelsById;
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
  expectPartition(partition: string, hasRecords: boolean): void {
    this.time.expect(partition, hasRecords);
  }

  /** A batch read from `partition`, and whether the partition is read to its end after it. */
  read(partition: string, records: readonly StreamRecord[], atEnd: boolean): void {
    const sinceMs = this.options.sinceMs ?? Number.NEGATIVE_INFINITY;
    const times: number[] = [];
    for (const record of records) {
      if (record.kind === 'score') {
        times.push(record.view.eventTimeMs);
        if (record.view.scoredAtMs >= sinceMs) this.kept.push(record.view);
      } else {
        times.push(record.reportedAtMs);
        const id = record.transactionId;
        this.labelsById.set(id, foldLabelReport(this.labelsById.get(id), record));
      }
    }
    this.time.read(partition, times, atEnd);
  }
}
