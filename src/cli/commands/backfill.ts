import { Option, type Command } from 'commander';
import type { Kafka } from 'kafkajs';
import {
  labelDelayMsOf,
  loadTopology,
  registryConnection,
  type Connecting,
  type Topology,
} from '../../config/index.js';
import {
  kafkaLabelSource,
  kafkaTransactionSource,
  DEFAULT_TABLE_FORMAT,
  parseTimeOption,
  runBackfill,
  TableFormat,
  type LabelSource,
  type TransactionSource,
} from '../../backfill/index.js';
import { createKafka } from '../../adapters/kafka/kafka-client.js';
import { createLogger, type Logger } from '../../adapters/observability/logger.js';
import { createAvroSerde, type AvroSerde } from '../../adapters/registry/serde.js';
import { connectingFor } from '../../runtime/startup-errors.js';
import { runStoppable } from '../stoppable.js';

/** `--events topic:<name>` reads a topic of the topology's Kafka; `topic:` alone, the topology's own topic. */
const TOPIC_PREFIX = 'topic:';

/** The topic an input names, or null for a file. */
export function topicOf(input: string, defaultTopic: string): string | null {
  if (!input.startsWith(TOPIC_PREFIX)) return null;
  const name = input.slice(TOPIC_PREFIX.length).trim();
  return name.length > 0 ? name : defaultTopic;
}

export function registerBackfillCommand(program: Command): void {
  program
    .command('backfill')
    .description(
      'Build a point-in-time correct training table from historical events and labels, through the same feature definitions as the online pipeline.',
    )
    .requiredOption('-t, --topology <file>', 'topology whose feature set, label delay (and, for topics, Kafka) to use')
    .requiredOption(
      '--events <path>',
      'events in log order: a JSON Lines (.jsonl) or CSV (.csv) file (see docs/features.md for columns), or ' +
        "topic:<name> to read a topic of the topology's Kafka to its end (topic: alone = the topology's input topic)",
    )
    .option(
      '--labels <path...>',
      "label files (JSON Lines or CSV), or topic:<name> (topic: alone = the topology's labels topic)",
    )
    .requiredOption(
      '--out <file>',
      'training table to write (a new path or a regular file, replaced); its manifest goes to <file>.manifest.json',
    )
    .addOption(
      new Option('--table-format <format>', 'training table file format (the manifest records its SHA-256)')
        .choices(Object.values(TableFormat))
        .default(DEFAULT_TABLE_FORMAT),
    )
    .option(
      '--from <time>',
      'rows only for events at or after this time (epoch ms or ISO-8601); earlier events still feed the windows',
    )
    .option('--to <time>', 'rows only for events before this time')
    .option(
      '--label-as-of <time>',
      'labels reported after this are not known to the label column (default: latest reported_at)',
    )
    .option('--no-progress', 'no progress output (a bar at a terminal, a line every few seconds elsewhere)')
    .action(
      async (
        options: {
          topology: string;
          events: string;
          labels?: string[];
          out: string;
          tableFormat: TableFormat;
          from?: string;
          to?: string;
          labelAsOf?: string;
          progress: boolean;
        },
        command: Command,
      ) => {
        const topology = loadTopology(options.topology);
        const topics = topicConnections(topology);
        const eventsTopic = topicOf(options.events, topology.topics.input);
        const events: string | TransactionSource =
          eventsTopic === null ? options.events : kafkaTransactionSource({ ...topics(), topic: eventsTopic });
        const labels = (options.labels ?? []).map((input): string | LabelSource => {
          const topic = topicOf(input, topology.topics.labels);
          return topic === null ? input : kafkaLabelSource({ ...topics(), topic });
        });
        // Ctrl-C (or a supervisor's SIGTERM) ends the run between two batches, with no table and no partial file.
        await runStoppable('backfill', `no table written to ${options.out}`, (signal) =>
          runBackfill({
            events,
            ...(labels.length > 0 ? { labels } : {}),
            out: options.out,
            // Left out when not given, so that a message about it can say the format is the default.
            ...(command.getOptionValueSource('tableFormat') === 'default' ? {} : { tableFormat: options.tableFormat }),
            labelDelayMs: labelDelayMsOf(topology),
            ...(options.from ? { fromMs: parseTimeOption(options.from, '--from') } : {}),
            ...(options.to ? { toMs: parseTimeOption(options.to, '--to') } : {}),
            ...(options.labelAsOf ? { labelAsOfMs: parseTimeOption(options.labelAsOf, '--label-as-of') } : {}),
            progress: options.progress,
            signal,
          }),
        );
      },
    );
}

/**
 * One Kafka client and one serde for every topic input, made on first use (a file-only backfill connects nowhere);
 * their connection failures are explained as a worker's are, naming the topology field and the fix.
 */
function topicConnections(topology: Topology): () => TopicConnections {
  let made: TopicConnections | undefined;
  return () => {
    if (made !== undefined) return made;
    // stdout carries the manifest: client warnings, and the readers' (run again after a lost coordinator), go to stderr.
    const log = createLogger({ name: topology.name, level: 'warn', destination: process.stderr });
    made = {
      kafka: createKafka(topology, log),
      serde: createAvroSerde(registryConnection(topology)),
      connecting: connectingFor(topology),
      log,
    };
    return made;
  };
}

interface TopicConnections {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly connecting: Connecting;
  readonly log: Logger;
}
