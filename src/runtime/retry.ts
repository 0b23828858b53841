/** Retries an operation until it succeeds, the error is fatal, or the runner stops. Backoff doubles to a cap. */
export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 100, maxMs: 5_000 };

export class StoppedError extends Error {
  constructor() {
    super('runner stopped while retrying');
    this.name = 'StoppedError';
  }
}

export async function retryUntilDone<T>(
  operation: () => Promise<T>,
  options: {
    policy?: RetryPolicy;
    isFatal: (error: unknown) => boolean;
    shouldStop: () => boolean;
    onRetry: (error: unknown, attempt: number, delayMs: number) => void;
  },
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (options.isFatal(error)) throw error;
      if (options.shouldStop()) throw new StoppedError();
      const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 16));
      options.onRetry(error, attempt, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
