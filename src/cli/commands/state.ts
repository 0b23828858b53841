import type { Command } from 'commander';
import { loadTopology, registryConnection } from '../../config/index.js';
import { rebuildState, type RebuildProgress } from '../../backfill/index.js';
import { createKafka } from '../../adapters/kafka/kafka-client.js';
import { createLogger } from '../../adapters/observability/logger.js';
import { createProgress, type Progress } from '../../adapters/observability/progress.js';
import { connectRedis } from '../../adapters/redis/connect.js';
import { createAvroSerde } from '../../adapters/registry/serde.js';
import { createRedis } from '../../adapters/redis/connect.js';
import { connecting, connectingFor } from '../../runtime/startup-errors.js';
import { runStoppable } from '../stoppable.js';

export function registerStateCommand(program: Command): void {
  const state = program.command('state').description("The topology's Redis feature state.");
  state
    .command('rebuild')
    .description(
      "Rebuild the Redis feature state from the input and labels topics (up to the consumer group's committed " +
        'offsets) through the same feature engine as the backfill; paused workers resume once it is done.',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file, e.g. topologies/card-payments.yaml')
    .option('--no-progress', 'no progress output (a bar at a terminal, a line every few seconds elsewhere)')
    .action(async (options: { topology: string; progress: boolean }) => {
      const topology = loadTopology(options.topology);
      const log = createLogger({ name: topology.name, level: 'warn', destination: process.stderr });
      const redis = createRedis(topology);
      await connecting('redis', topology, () => connectRedis(redis));
      const progress = rebuildProgress(options.progress);
      try {
        const result = await runStoppable(
          'state rebuild',
          'the feature state is incomplete and no worker scores on it: paused workers stay paused until a rebuild ' +
            `completes. Run \`fraudscore state rebuild -t ${options.topology}\` again.`,
          (signal) =>
            rebuildState({
              topology,
              kafka: createKafka(topology, log),
              serde: createAvroSerde(registryConnection(topology)),
              redis,
              connecting: connectingFor(topology),
              log,
              signal,
              onProgress: (p) => progress.update(p),
            }).finally(() => progress.stop()), // its last line before the outcome's
        );
        if (result === null) return;
        const absorbed = [...result.absorbed].map(([partition, offset]) => `${partition}@${offset}`).join(' ');
        process.stdout.write(
          `state rebuilt for ${topology.name} under ${topology.redis.keyPrefix}: ${result.keysDeleted} keys deleted, ` +
            `${result.labels} labels and ${result.transactions} transactions replayed ` +
            `(${result.duplicates} duplicates left out); absorbed ${absorbed || '(no partitions)'}\n`,
        );
      } finally {
        redis.disconnect();
      }
    });
}

/** How far the rebuild is, on stderr: one bar (or line) per topic replayed, labels first. */
function rebuildProgress(enabled: boolean): { update(progress: RebuildProgress): void; stop(): void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  let topic: RebuildProgress['topic'] | undefined;
  let output: Progress<{ topic: string; records: number }> | undefined;
  return {
    update(progress) {
      if (progress.topic !== topic) {
        output?.stop();
        topic = progress.topic;
        output = createProgress({
          stream: process.stderr,
          bar: 'state rebuild [{bar}] {percentage}% | {topic} | {records} replayed | ETA {eta_formatted}',
          line: (done, total, p) =>
            `state rebuild: ${p.topic} ${Math.floor((100 * done) / Math.max(total, 1))}% (${p.records} replayed)`,
        });
      }
      output!.update(progress.done, progress.total, { topic: progress.topic, records: progress.records });
    },
    stop() {
      output?.stop();
      output = undefined;
      topic = undefined;
    },
  };
}
