/**
 * When the group coordinator last confirmed this member (a heartbeat or a join answered), and whether that is too
 * long ago to commit (RunnerDeps.membershipLeaseMs).
 *
 * A process that stood still (SIGSTOP, a frozen VM, a very long pause) may, once it runs again, read the answer to a
 * heartbeat it sent before: that answer confirms the membership only as of the standstill's start, not as of now.
 * Crediting it to now would let a member expelled meanwhile commit a batch its partitions' new owner has already
 * scored. So a ticker notes when the process last ran, and a confirmation read during a standstill not yet ticked
 * away, or within `graceMs` after one, counts from the standstill's start.
 */
export interface StallDetection {
  /** A gap between ticks longer than this is a standstill. */
  readonly stallMs: number;
  /** For this long after a standstill ends, confirmations count from its start. */
  readonly graceMs: number;
}

export const DEFAULT_STALL_DETECTION: StallDetection = { stallMs: 1_000, graceMs: 2_000 };
const TICK_MS = 100;

export class MembershipLease {
  private confirmedAtMs: number;
  private lastTickMs: number;
  private stall: { startedAtMs: number; endedAtMs: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: () => number,
    private readonly leaseMs: number | undefined,
    private readonly detection: StallDetection = DEFAULT_STALL_DETECTION,
  ) {
    this.confirmedAtMs = clock();
    this.lastTickMs = this.confirmedAtMs;
  }

  /** Starts the ticker (unreferenced: it never keeps the process alive). */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), TICK_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The process runs: a gap since the previous tick was a standstill. */
  tick(): void {
    const now = this.clock();
    if (now - this.lastTickMs > this.detection.stallMs) this.stall = { startedAtMs: this.lastTickMs, endedAtMs: now };
    this.lastTickMs = now;
  }

  /**
   * The coordinator answered a heartbeat or a join of this member. Returns whether the answer confirms the membership
   * as of now (false: it may predate a standstill).
   */
  confirmed(): boolean {
    const now = this.clock();
    if (now - this.lastTickMs > this.detection.stallMs) {
      this.confirmedAtMs = Math.max(this.confirmedAtMs, this.lastTickMs); // the ticker has not seen the standstill yet
      return false;
    }
    if (this.stall !== undefined && now - this.stall.endedAtMs < this.detection.graceMs) {
      this.confirmedAtMs = Math.max(this.confirmedAtMs, this.stall.startedAtMs);
      return false;
    }
    this.confirmedAtMs = now;
    return true;
  }

  /** No confirmation for longer than the lease: the coordinator may have expelled this member. */
  lapsed(): boolean {
    return this.leaseMs !== undefined && this.clock() - this.confirmedAtMs > this.leaseMs;
  }
}
