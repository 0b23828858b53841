/** The first wait, and the longest, before kafkajs may restart a consumer that crashed (on top of its own ~300 ms). */
const FIRST_WAIT_MS = 250;
const LONGEST_WAIT_MS = 5_000;

/**
 * How long to wait before the `crashes`-th restart in a row (no fetch completed in between): doubling from 250 ms,
 * at most 5 s.
 */
export function restartDelayMs(crashes: number): number {
  if (crashes <= 0) return 0;
  return Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(crashes - 1, 16));
}

/**
 * Spaces the restarts of a kafkajs consumer that keeps crashing on an error kafkajs retries. kafkajs restarts a
 * crashed consumer ~300 ms later, for ever: with the control topic deleted, its reader restarted three times a second,
 * and each restart leaves a little behind (listeners, ~8 MiB an hour). Give `restartOnFailure` to the consumer's
 * `retry` option (kafkajs awaits it before restarting), call `fetched` on each completed fetch, and `release` before
 * disconnecting, so a pending wait does not outlive the consumer.
 */
export class RestartBackoff {
  private crashes = 0;
  private restarts = 0;
  private released = false;
  private pending: { readonly timer: NodeJS.Timeout; readonly resolve: () => void } | null = null;

  /** A fetch completed: the next crash waits the shortest time again. */
  fetched(): void {
    this.crashes = 0;
  }

  /** How many times the consumer was let restart. */
  restartCount(): number {
    return this.restarts;
  }

  /** For kafkajs's `retry.restartOnFailure`: waits, then lets the consumer restart. */
  readonly restartOnFailure = async (): Promise<boolean> => {
    this.restarts++;
    if (this.released) return true;
    this.crashes++;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        resolve();
      }, restartDelayMs(this.crashes));
      this.pending = { timer, resolve };
    });
    return true;
  };

  /**
   * Ends a pending wait at once and waits no more. Resolves once kafkajs has scheduled the restart, so that the
   * disconnect that follows cancels it.
   */
  async release(): Promise<void> {
    this.released = true;
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    clearTimeout(pending.timer);
    pending.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
