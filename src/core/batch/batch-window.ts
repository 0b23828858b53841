/**
 * When does a microbatch close? At maxRecords or maxWaitMs after its first record, whichever comes first.
 * A value object with an injected clock reading (no timers): the runner asks it, tests drive it with numbers.
 */
export type CloseReason = 'size' | 'time' | 'shutdown' | 'rebalance';

export interface BatchWindowPolicy {
  readonly maxRecords: number;
  readonly maxWaitMs: number;
}

export class BatchWindow {
  private count = 0;
  private openedAtMs: number | undefined;

  constructor(private readonly policy: BatchWindowPolicy) {}

  /** Records n more; returns 'size' when the batch is now full. */
  add(n: number, nowMs: number): CloseReason | undefined {
    if (n <= 0) return undefined;
    if (this.openedAtMs === undefined) this.openedAtMs = nowMs;
    this.count += n;
    return this.count >= this.policy.maxRecords ? 'size' : undefined;
  }

  /** How many more records fit before the size limit. */
  room(): number {
    return Math.max(0, this.policy.maxRecords - this.count);
  }

  /** 'time' when the window has been open for maxWaitMs. An empty window never expires. */
  expired(nowMs: number): CloseReason | undefined {
    return this.openedAtMs !== undefined && nowMs - this.openedAtMs >= this.policy.maxWaitMs ? 'time' : undefined;
  }

  /** Milliseconds until the window expires; undefined while empty. */
  untilNext(nowMs: number): number | undefined {
    return this.openedAtMs === undefined ? undefined : Math.max(0, this.openedAtMs + this.policy.maxWaitMs - nowMs);
  }

  size(): number {
    return this.count;
  }

  reset(): void {
    this.count = 0;
    this.openedAtMs = undefined;
  }
}
