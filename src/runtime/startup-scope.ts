type Close = () => unknown;

/**
 * What a start-up has opened so far, closed in reverse order when start-up fails or is aborted (SIGTERM before the
 * pipeline is ready). An open connection would keep the process alive instead of letting it exit.
 *
 * An abort does not wait for the step under way: a broker or Redis that does not answer would hold a pod being
 * deleted for its whole termination grace period. The step rejects at once with the abort's reason, no further step
 * begins, and whatever the abandoned step still opens is closed as soon as it is registered.
 */
export class StartupScope {
  private readonly closes: Close[] = [];
  private closed = false;

  constructor(private readonly signal?: AbortSignal) {}

  /** Registers how to close what was just opened. */
  opened(close: Close): void {
    if (this.closed) void closeQuietly(close);
    else this.closes.push(close);
  }

  /** Runs one step of start-up, unless start-up was aborted; rejects with the abort's reason as soon as it is. */
  async step<T>(work: () => Promise<T>): Promise<T> {
    const signal = this.signal;
    if (!signal) return work();
    signal.throwIfAborted();
    let onAbort!: () => void;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work(), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Throws the abort's reason if start-up was aborted (a step may have ended just before the abort was read). */
  throwIfAborted(): void {
    this.signal?.throwIfAborted();
  }

  /** Closes everything opened, last first; a close that fails does not keep the others from closing. */
  async close(): Promise<void> {
    this.closed = true;
    for (const close of this.closes.splice(0).reverse()) await closeQuietly(close);
  }
}

function closeQuietly(close: Close): Promise<unknown> {
  return Promise.resolve()
    .then(close)
    .catch(() => undefined);
}
