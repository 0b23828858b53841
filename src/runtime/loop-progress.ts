/**
 * Whether the batch loop still moves, for the liveness probe (/livez): a worker whose loop hangs in one step scores
 * nothing and says nothing, and only a restart frees it. Readiness (/healthz) is another question: a worker whose
 * batches keep failing (Redis, Kafka or the registry away, feature state behind) is not ready, but it is alive, and
 * it resumes on its own; restarting it would only move its partitions to the others, again and again.
 *
 * So any sign of progress counts: a step begun, an attempt that failed and is retried. Waiting for records or a
 * timer is never stuck (nothing it waits on can hang). The event loop itself needs no check here: when it is blocked
 * the endpoint does not answer, which the probe counts as a failure.
 */
export class LoopProgress {
  private lastMs: number;
  private step = 'start';
  private waiting = false;

  constructor(
    private readonly clock: () => number,
    private readonly stuckAfterMs: number,
  ) {
    this.lastMs = clock();
  }

  /** The loop began a step (`step`: take, score, commit, ...) or made progress in it (a retry). */
  moved(step: string): void {
    this.lastMs = this.clock();
    this.step = step;
    this.waiting = false;
  }

  /** The loop waits for records, a timer or a nudge. */
  waits(): void {
    this.lastMs = this.clock();
    this.waiting = true;
  }

  /**
   * Null while the loop moves or waits, else where it has hung and for how long: beyond the liveness limit by
   * default, or beyond `afterMs` (readiness asks sooner: a worker in one step for a while does no work, even if a
   * restart would not help yet).
   */
  stuckReason(afterMs = this.stuckAfterMs): string | null {
    if (this.waiting) return null;
    const sinceMs = this.clock() - this.lastMs;
    if (sinceMs <= afterMs) return null;
    return `batch loop stuck in ${this.step} for ${Math.round(sinceMs / 1000)} s without progress`;
  }
}
