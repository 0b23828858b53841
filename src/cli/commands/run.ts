import type { Command } from 'commander';
import { loadTopology } from '../../config/index.js';
import { createPipeline, pipelineLogger, type PipelineContext } from '../../runtime/context.js';
import { tuneHeapForWorker } from '../../runtime/heap.js';
import { workerExits, type WorkerExits } from './worker-exits.js';

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
      // Set once the pipeline runs (exits), or by a signal during start-up (signalledBy).
      const ending: { exits?: WorkerExits; signalledBy?: string } = {};
      const stop = async (signal: string) => {
        if (ending.exits) return ending.exits.stop(signal);
        if (ending.signalledBy) return;
        ending.signalledBy = signal;
        startup.abort(new Error(`${signal} during start-up`));
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));

      const topology = loadTopology(options.topology);
      const log = pipelineLogger(topology);
      tuneHeapForWorker();
      let pipeline: PipelineContext;
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
      // Everything is committed and every client closed before an exit; a client library's reconnect timer left
      // behind after a broker restart must not keep the process (and its pod's termination) waiting. Logs are
      // written synchronously, so nothing is lost.
      const running = workerExits(pipeline, (code) => process.exit(code));
      ending.exits = running;
      // A signal that came as start-up ended, too late to abort it: the stop it asked for.
      if (ending.signalledBy) return running.stop(ending.signalledBy);
      void pipeline.runner.failed.then(running.fatal);
      try {
        await pipeline.runner.start();
      } catch (error) {
        // A worker that cannot start consuming (Kafka unreachable, a topic deleted) must not stay up holding its
        // connections, as if healthy. A stop under way explains the failure; the stop exits.
        if (!running.stopping) await running.fatal(error);
      }
    });
}
