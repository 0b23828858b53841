import type { Command } from 'commander';
import { loadTopology } from '../../config/index.js';
import { createPipeline } from '../../runtime/context.js';
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
      const topology = loadTopology(options.topology);
      tuneHeapForWorker();
      const pipeline = await createPipeline({
        topology,
        ...(options.instanceId ? { instanceId: options.instanceId } : {}),
      });
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        pipeline.log.info({ signal }, 'stopping: flushing the open batch');
        await pipeline.close();
        pipeline.log.info('stopped cleanly');
        // Everything is committed and every client closed; a client library's reconnect timer left behind after a
        // broker restart must not keep the process (and its pod's termination) waiting. Logs are written
        // synchronously, so nothing is lost.
        process.exit(process.exitCode ?? 0);
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
      void pipeline.runner.failed.then(async (error) => {
        pipeline.log.error({ err: (error as Error).message }, 'exiting after a fatal error');
        process.exitCode = 1;
        await pipeline.close().catch(() => undefined);
        process.exit(1);
      });
      await pipeline.runner.start();
    });
}
