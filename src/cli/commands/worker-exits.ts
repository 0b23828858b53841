import type { Logger } from '../../adapters/observability/logger.js';

/** What the worker's exits need of a running pipeline (PipelineContext). */
export interface ClosablePipeline {
  readonly log: Pick<Logger, 'info' | 'error'>;
  /** One close for every caller: drains the open batch, then closes every connection (closeOnce). */
  close(): Promise<void>;
}

/** How `fraudscore run` ends once its pipeline runs: on a signal, or on a fatal error. */
export interface WorkerExits {
  /**
   * A signal: the open batch is flushed, everything closed, exit 0; exit 1 when a connection failed to close. A fatal
   * error during the drain takes over the exit (fatal): the stop is not called clean.
   */
  stop(signal: string): Promise<void>;
  /** A fatal error, once: logged, everything closed (after a drain under way), exit 1. */
  fatal(error: unknown): Promise<void>;
  /** Whether a signal started a stop: a start that fails during it is the stop's to report. */
  readonly stopping: boolean;
}

export function workerExits(pipeline: ClosablePipeline, exit: (code: number) => void): WorkerExits {
  let stopping = false;
  let exiting: Promise<void> | undefined;
  return {
    get stopping() {
      return stopping;
    },
    async stop(signal) {
      if (stopping) return;
      stopping = true;
      pipeline.log.info({ signal }, 'stopping: flushing the open batch');
      let clean = true;
      try {
        await pipeline.close();
      } catch (error) {
        // Each close that failed is logged on its own line; the rest were closed all the same.
        pipeline.log.error({ err: (error as Error).message }, 'stopped, but not cleanly');
        clean = false;
      }
      // A fatal error during the drain (the last commit failed): its exit reports it, once the same close is done.
      if (exiting) return;
      if (clean) pipeline.log.info('stopped cleanly');
      exit(clean ? 0 : 1);
    },
    fatal(error) {
      exiting ??= (async () => {
        pipeline.log.error({ err: (error as Error).message }, 'exiting after a fatal error');
        // During a signal's drain this waits for the drain (one close for every caller), then exits 1 all the same.
        await pipeline.close().catch(() => undefined);
        exit(1);
      })();
      return exiting;
    },
  };
}
