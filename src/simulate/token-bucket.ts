/**
 * Paces a producer to a steady rate. Time is passed in (no clock inside), so tests drive it with plain numbers.
 * Tokens may go negative ("debt"): take() always succeeds and says how long to wait for the debt to be repaid,
 * which keeps the caller a simple "take, then sleep if told to" loop.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  /**
   * @param ratePerSecond tokens earned per second (> 0)
   * @param burst most tokens that can be saved up while idle: bounds the burst after a pause
   */
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
      throw new RangeError(`rate must be > 0, got ${ratePerSecond}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** Takes `count` tokens at `nowMs`; returns how many ms the caller should wait before going on (0 = none). */
  take(count: number, nowMs: number): number {
    const elapsedMs = Math.max(0, nowMs - this.lastMs);
    this.lastMs = Math.max(this.lastMs, nowMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
    this.tokens -= count;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.ratePerSecond;
  }
}
