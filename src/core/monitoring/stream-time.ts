/**
 * Stream time over the partitions a reader follows (the output and labels topics): how far the delayed-label evaluator
 * and the rollout's score follower treat the stream as read when they judge a day final. One rule for both, so that
 * a rollout gate and the evaluator finalise a day on the same evidence. Both bound it by their clock
 * (label-rule.ts finalisingMs): once every partition is read to its end it is the latest time read, which may lie
 * ahead of the clock. The evaluator also waits a delivery grace for reports (evaluation.ts evaluationWatermarkMs).
 *
 * It is the lowest latest time read (a score's event time, a label's report time) over the partitions not read to
 * their end: a partition delivered days ahead of another (Kafka hands out backlogs in chunks) cannot finalise a day
 * whose records on the lagging partition are still unread, and a partition known to have records of which none has
 * been read yet holds it at minus infinity. Once every partition is read to its end it is the latest time read. A
 * partition without records, or read to its end, holds nothing back: the reader would otherwise wait for ever on a
 * partition that nobody writes to.
 *
 * It never goes back. A partition read to its end may receive older records later and hold the others back again,
 * but what was final stays final: the evaluator has reported the day, and the follower may have let go of its labels.
 *
 * So one record dated far ahead (a report time in microseconds, a producer's clock off by a year) would finalise
 * every open day at once, for good. Given `latestPlausibleMs` (the reader's clock plus a skew allowance), a time
 * beyond it is not taken as evidence of how far the stream has come: the reader still uses the record, stream time
 * ignores its time, and read() says how many it ignored.
 */
export interface StreamTimeOptions {
  /** The latest time a record may carry and still move stream time, asked at each read; none: no bound. */
  readonly latestPlausibleMs?: () => number;
}

export class StreamTime {
  private readonly partitions = new Map<string, { latestMs: number | undefined; atEnd: boolean }>();
  private latestReadMs = Number.NEGATIVE_INFINITY;
  private watermarkMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: StreamTimeOptions = {}) {}

  /** A partition as its offsets show it before reading: one with records holds stream time back until they are read. */
  expect(partition: string, hasRecords: boolean): void {
    this.partitions.set(partition, { latestMs: undefined, atEnd: !hasRecords });
    this.advance();
  }

  /**
   * Records read from `partition`: their times (one that is not finite says nothing about how far the stream has come,
   * and NaN would stick), and whether the partition is read to its end now. Returns how many times it ignored as
   * later than `latestPlausibleMs`.
   */
  read(partition: string, timesMs: Iterable<number>, atEnd: boolean): number {
    const state = this.partitions.get(partition) ?? { latestMs: undefined, atEnd };
    const latestPlausibleMs = this.options.latestPlausibleMs?.() ?? Number.POSITIVE_INFINITY;
    let implausible = 0;
    for (const ms of timesMs) {
      if (!Number.isFinite(ms)) continue;
      if (ms > latestPlausibleMs) {
        implausible++;
        continue;
      }
      state.latestMs = Math.max(state.latestMs ?? ms, ms);
      this.latestReadMs = Math.max(this.latestReadMs, ms);
    }
    state.atEnd = atEnd;
    this.partitions.set(partition, state);
    this.advance();
    return implausible;
  }

  /** Stream time now (minus infinity before anything is read). */
  get ms(): number {
    return this.watermarkMs;
  }

  /** Every partition known is read to its end. */
  caughtUp(): boolean {
    for (const state of this.partitions.values()) if (!state.atEnd) return false;
    return true;
  }

  private advance(): void {
    let lowest = Number.POSITIVE_INFINITY;
    for (const state of this.partitions.values()) {
      if (!state.atEnd) lowest = Math.min(lowest, state.latestMs ?? Number.NEGATIVE_INFINITY);
    }
    this.watermarkMs = Math.max(this.watermarkMs, lowest === Number.POSITIVE_INFINITY ? this.latestReadMs : lowest);
  }
}
