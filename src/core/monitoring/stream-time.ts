/**
 * Stream time over the partitions a reader follows (the output and labels topics): how far the delayed-label evaluator
 * and the rollout's score follower treat the stream as read when they judge a day final. One rule for both, so that
 * a rollout gate and the evaluator finalise a day on the same evidence.
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
 */
export class StreamTime {
  private readonly partitions = new Map<string, { latestMs: number | undefined; atEnd: boolean }>();
  private latestReadMs = Number.NEGATIVE_INFINITY;
  private watermarkMs = Number.NEGATIVE_INFINITY;

  /** A partition as its offsets show it before reading: one with records holds stream time back until they are read. */
  expect(partition: string, hasRecords: boolean): void {
    this.partitions.set(partition, { latestMs: undefined, atEnd: !hasRecords });
    this.advance();
  }

  /**
   * Records read from `partition`: their times (one that is not finite says nothing about how far the stream has come,
   * and NaN would stick), and whether the partition is read to its end now.
   */
  read(partition: string, timesMs: Iterable<number>, atEnd: boolean): void {
    const state = this.partitions.get(partition) ?? { latestMs: undefined, atEnd };
    for (const ms of timesMs) {
      if (!Number.isFinite(ms)) continue;
      state.latestMs = Math.max(state.latestMs ?? ms, ms);
      this.latestReadMs = Math.max(this.latestReadMs, ms);
    }
    state.atEnd = atEnd;
    this.partitions.set(partition, state);
    this.advance();
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
