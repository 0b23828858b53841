import { partitionBound, type PartitionBound } from '../core/batch/event-time-alignment.js';
import type { ConsumedRecord } from './consumed-record.js';

/** A fetched record waiting to be taken into a batch, with its event time (reported_at for labels) when known. */
export interface WaitingRecord {
  readonly record: ConsumedRecord;
  /** Undefined when it could not be decoded or has no usable time: it will be dead-lettered and needs no alignment. */
  readonly timeMs: number | undefined;
  readonly arrivedAtMs: number;
  /** Counts the fetches that reached this worker: what arrived before an end offset was read has a lower number. */
  readonly arrival: number;
}

/** The records of one partition that this worker has fetched and not yet taken, in offset order. */
export class PartitionQueue {
  private readonly waiting: WaitingRecord[] = [];
  private head = 0;
  maxSeenMs: number | undefined;
  /** The end offset the last fetch read the partition to, when it reached it (undefined: it did not). */
  endOffset: number | undefined;
  /**
   * Where this worker's reading of the partition stands (kafkajs's position): after the last offset fetched, records,
   * transaction markers and aborted records alike.
   */
  readTo: number | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get key(): string {
    return `${this.topic}:${this.partition}`;
  }

  get size(): number {
    return this.waiting.length - this.head;
  }

  /**
   * Appends fetched records. One later than the allowed lateness (behind the latest time seen in the partition) is
   * kept without a time: it is featurised when its turn comes, with the state as it is, and does not hold anything
   * back (a record days late would otherwise stall every partition until it is reached).
   */
  push(
    records: readonly WaitingRecord[],
    endOffset: number | undefined,
    latenessMs: number,
    /** The offset after the fetch (kafkajs's position: past any markers it ended in); else after its last record. */
    readTo?: number,
  ): void {
    for (const waiting of records) {
      const { timeMs } = waiting;
      if (timeMs !== undefined && this.maxSeenMs !== undefined && timeMs < this.maxSeenMs - latenessMs) {
        this.waiting.push({ ...waiting, timeMs: undefined });
        continue;
      }
      this.waiting.push(waiting);
      if (timeMs !== undefined) this.maxSeenMs = Math.max(this.maxSeenMs ?? timeMs, timeMs);
    }
    this.endOffset = endOffset;
    const last = records[records.length - 1];
    if (readTo !== undefined) this.readTo = readTo;
    else if (last) this.readTo = Number(last.record.offset) + 1;
  }

  /**
   * A fetch found nothing to hand on from `read.firstOffset` to `read.lastOffset` (transaction markers, the records of
   * an aborted transaction): kafkajs's reading moves past it. If that fetch went on from where this worker's reading
   * stands (`readTo`, else `readFrom`: where a seek put it; unknown right after an assignment, where kafkajs reads from
   * the committed offset), the reading stands after it now, and the partition is read to its end when the fetch
   * reached it (`atEnd`: the end offset then) or not (a claim from an earlier fetch no longer holds), as after a fetch
   * of records. One fetched before a seek back is stale: the records between are to be read again. Whether it counted.
   */
  readWithoutRecords(
    read: { readonly firstOffset: number | undefined; readonly lastOffset: number | undefined },
    atEnd: number | undefined,
    readFrom: number | undefined,
  ): boolean {
    const from = this.readTo ?? readFrom;
    if (from !== undefined && (read.firstOffset === undefined || read.firstOffset > from)) return false;
    if (read.lastOffset !== undefined) this.readTo = read.lastOffset + 1;
    this.endOffset = atEnd;
    return true;
  }

  peek(index = 0): WaitingRecord | undefined {
    return this.waiting[this.head + index];
  }

  shift(): WaitingRecord {
    const first = this.waiting[this.head++] as WaitingRecord;
    if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    return first;
  }

  /** Least time among the waiting records from position `from` on (relative to the head). */
  minTimeFrom(from: number): number | undefined {
    let min: number | undefined;
    for (let i = this.head + from; i < this.waiting.length; i++) {
      const time = (this.waiting[i] as WaitingRecord).timeMs;
      if (time !== undefined && (min === undefined || time < min)) min = time;
    }
    return min;
  }

  oldestArrivalMs(): number | undefined {
    return this.peek()?.arrivedAtMs;
  }

  /** The bound this worker publishes for the partition, once `taken` more records are in the state. */
  bound(latenessMs: number, taken = 0): PartitionBound {
    return partitionBound({
      minWaitingMs: this.minTimeFrom(taken),
      maxSeenMs: this.maxSeenMs,
      endOffset: this.endOffset,
      latenessMs,
    });
  }
}
