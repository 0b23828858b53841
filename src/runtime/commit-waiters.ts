/**
 * eachBatch handlers wait here until the offsets they handed over are committed (or the runner failed).
 * Keyed by topic and partition; offsets are the next offset to consume, as Kafka commits them.
 */
interface Waiter {
  readonly key: string;
  readonly offset: bigint;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class CommitWaiters {
  private readonly committed = new Map<string, bigint>();
  private readonly waiters = new Set<Waiter>();
  private failure: unknown;

  private static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** Resolves once `nextOffset` (last handed-over offset + 1) of the partition is committed. */
  waitFor(topic: string, partition: number, nextOffset: bigint): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const key = CommitWaiters.key(topic, partition);
    if ((this.committed.get(key) ?? -1n) >= nextOffset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.add({ key, offset: nextOffset, resolve, reject }));
  }

  markCommitted(offsets: ReadonlyMap<string, ReadonlyMap<number, string>>): void {
    for (const [topic, partitions] of offsets) {
      for (const [partition, offset] of partitions) {
        const key = CommitWaiters.key(topic, partition);
        const next = BigInt(offset);
        if (next > (this.committed.get(key) ?? -1n)) this.committed.set(key, next);
      }
    }
    for (const waiter of this.waiters) {
      if ((this.committed.get(waiter.key) ?? -1n) >= waiter.offset) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Lets every waiter of now go, committed or not: see Runner, "starved". */
  releasePending(): void {
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
  }

  /** Rejects the waiters of now, but keeps accepting new ones: records given back, not a failed runner. */
  rejectPending(error: unknown): void {
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }

  failAll(error: unknown): void {
    this.failure = error;
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }
}
