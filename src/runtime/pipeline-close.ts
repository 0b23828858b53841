import type { Logger } from '../adapters/observability/logger.js';

/** One thing a running pipeline closes, named for the log line if closing it fails. */
export interface ClosingStep {
  readonly name: string;
  close(): unknown;
}

/**
 * A running pipeline's close: its steps in order, once, however many callers ask. A fatal error during a SIGTERM's
 * drain makes its handler close too; a second run of the steps would close Redis and the control reader under the
 * batch loop still draining. Every caller gets the one promise instead, settled when every step has ended.
 *
 * A step that fails does not keep the next from running: a consumer that cannot leave its group must not leave Redis
 * connected (the process would not exit) or the worker listed in `control status`. Each failure is logged with its
 * step; the promise then rejects, naming them all, so that the caller exits non-zero.
 */
export function closeOnce(steps: readonly ClosingStep[], log: Logger): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= closeEach(steps, log);
    return closing;
  };
}

async function closeEach(steps: readonly ClosingStep[], log: Logger): Promise<void> {
  const failed: string[] = [];
  for (const step of steps) {
    try {
      await step.close();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: message, step: step.name }, 'could not close; closing the rest');
      failed.push(`${step.name}: ${message}`);
    }
  }
  if (failed.length > 0) throw new Error(`the pipeline did not close cleanly (${failed.join('; ')})`);
}
