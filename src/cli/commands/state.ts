import type { Command } from 'commander';
import { loadTopology, registryConnection } from '../../config/index.js';
import { rebuildState } from '../../backfill/index.js';
import { createKafka } from '../../adapters/kafka/kafka-client.js';
import { createLogger } from '../../adapters/observability/logger.js';
import { connectRedis } from '../../adapters/redis/connect.js';
import { createAvroSerde } from '../../adapters/registry/serde.js';
import { createRedis } from '../../adapters/redis/connect.js';
import { connecting, connectingFor } from '../../runtime/startup-errors.js';

export function registerStateCommand(program: Command): void {
  const state = program.command('state').description("The topology's Redis feature state.");
  state
    .command('rebuild')
    .description(
      "Rebuild the Redis feature state from the input and labels topics (up to the consumer group's committed " +
        'offsets) through the same feature engine as the backfill; paused workers resume once it is done.',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file, e.g. topologies/card-payments.yaml')
    .action(async (options: { topology: string }) => {
      const topology = loadTopology(options.topology);
      const log = createLogger({ name: topology.name, level: 'warn', destination: process.stderr });
      const redis = createRedis(topology);
      await connecting('redis', topology, () => connectRedis(redis));
      try {
        const result = await rebuildState({
          topology,
          kafka: createKafka(topology, log),
          serde: createAvroSerde(registryConnection(topology)),
          redis,
          connecting: connectingFor(topology),
        });
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
