import type { Command } from 'commander';
import { loadTopology } from '../../config/index.js';
import { createPipeline, pipelineLogger, type PipelineContext } from '../../runtime/context.js';
import { tuneHeapForWorker } from '../../runtime/heap.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run a topology: consume, score in microbatches, publish scores and dead letters exactly once.')
    .requiredOption('-t, --topology <file>', 'topology YAML file, e.g. topologies/card-payments.yaml')
    .option(
      '--instance-id <id>',
      'this worker’s id within the topology (stable across restarts; default $FRAUDSCORE_INSTANCE_ID or the host name)',
    )
    .action(async (options: { topology: string; instanceId?: string }) => {
      // The handlers come first. As PID 1 in a container node ignores SIGTERM while it has no handler for it, so a
      // pod deleted during start-up (connections tried, models loaded, the control topic read) would wait out its
      // whole termination grace period. A signal during start-up aborts it: what was opened is closed, and it exits.
      const startup = new AbortController();
      let pipeline: PipelineContext | undefined;
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        if (pipeline === undefined) {
          startup.abort(new Error(`${signal} during start-up`));
          return;
        }
        pipeline.log.info({ signal }, 'stopping: flushing the open batch');
        try {
          await pipeline.close();
          pipeline.log.info('stopped cleanly');
        } catch (error) {
          // Each close that failed is logged on its own line; the rest were closed all the same.
          pipeline.log.error({ err: (error as Error).message }, 'stopped, but not cleanly');
          process.exitCode = 1;
        }
        // Everything is committed and every client closed; a client library's reconnect timer left behind after a
        // broker restart must not keep the process (and its pod's termination) waiting. Logs are written
        // synchronously, so nothing is lost.
        process.exit(process.exitCode ?? 0);
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));

      const topology = loadTopology(options.topology);
      const log = pipelineLogger(topology);
      tuneHeapForWorker();
      try {
        pipeline = await createPipeline({
          topology,
          log,
          signal: startup.signal,
          ...(options.instanceId ? { instanceId: options.instanceId } : {}),
        });
      } catch (error) {
        if (!startup.signal.aborted) throw error;
        log.info({ reason: (startup.signal.reason as Error).message }, 'stopped during start-up; nothing was consumed');
        // As after a stop: what start-up opened is closed; a step it abandoned must not keep the process.
        process.exit(process.exitCode ?? 0);
      }
      const running = pipeline;
      let exiting: Promise<void> | undefined;
      const exitAfterFatal = (error: unknown): Promise<void> =>
        (exiting ??= (async () => {
          running.log.error({ err: (error as Error).message }, 'exiting after a fatal error');
          process.exitCode = 1;
          // During a SIGTERM's drain this waits for the drain (one close for every caller), then exits 1 all the same.
          await running.close().catch(() => undefined);
          process.exit(1);
        })());
      void running.runner.failed.then(exitAfterFatal);
      try {
        await running.runner.start();
      } catch (error) {
        // A worker that cannot start consuming (Kafka unreachable, a topic deleted) must not stay up holding its
        // connections, as if healthy. A stop under way explains the failure; the stop exits.
        if (!stopping) await exitAfterFatal(error);
      }
    });
}
