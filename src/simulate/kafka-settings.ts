import { registryConnection, type KafkaConnection, type RegistryConnection, type Topology } from '../config/index.js';
import type { KafkaConfig } from 'kafkajs';
import { kafkaClientConfig } from '../adapters/kafka/kafka-client.js';
import type { Logger } from '../adapters/observability/logger.js';

/**
 * Everything the simulator needs to reach Kafka, in one object, so that a topology file, flags or a test can fill it
 * from wherever they get it (topology: kafka, schemaRegistry, topics.input, topics.labels, topics.partitions).
 */
export interface SimulatorKafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS and SASL as a topology's `kafka.ssl` and `kafka.sasl` say; without them, plaintext (the local stack). */
  readonly ssl?: KafkaConnection['ssl'];
  readonly sasl?: KafkaConnection['sasl'];
  readonly registry: RegistryConnection;
  /** Input topic of the pipeline; the Avro subject is `<topic>-value` (topic-name strategy). */
  readonly transactionsTopic: string;
  readonly labelsTopic: string;
  /** Partitions of topics the simulator has to create; existing topics are left as they are. */
  readonly partitions: number;
}

export const DEFAULT_BROKERS = '127.0.0.1:19092';
export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:18081/apis/ccompat/v7';
export const DEFAULT_TRANSACTIONS_TOPIC = 'payments.transactions';
export const DEFAULT_LABELS_TOPIC = 'payments.labels';
/** Same as the card-payments topology: the pipeline scales out to this many consumers. */
export const DEFAULT_PARTITIONS = 4;

/** Settings from the local-stack environment variables (deploy/local/env.sh), with the stack's ports as defaults. */
export function kafkaSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): SimulatorKafkaSettings {
  return {
    brokers: splitBrokers(env['FRAUDSCORE_KAFKA_BROKERS'] || DEFAULT_BROKERS),
    clientId: 'fraudscore-simulate',
    registry: { url: env['FRAUDSCORE_REGISTRY_URL'] || DEFAULT_REGISTRY_URL },
    transactionsTopic: DEFAULT_TRANSACTIONS_TOPIC,
    labelsTopic: DEFAULT_LABELS_TOPIC,
    partitions: DEFAULT_PARTITIONS,
  };
}

/**
 * Settings from a topology: its brokers with their TLS and SASL, its registry (password resolved from env or file now),
 * its input and labels topics. The client id is the topology's with `-simulator`, so broker logs tell the two apart.
 */
export function kafkaSettingsFromTopology(
  topology: Topology,
  env: Readonly<Record<string, string | undefined>> = process.env,
): SimulatorKafkaSettings {
  const { kafka } = topology;
  return {
    brokers: kafka.brokers,
    clientId: `${kafka.clientId}-simulator`,
    ...(kafka.ssl ? { ssl: kafka.ssl } : {}),
    ...(kafka.sasl ? { sasl: kafka.sasl } : {}),
    registry: registryConnection(topology, env),
    transactionsTopic: topology.topics.input,
    labelsTopic: topology.topics.labels,
    partitions: topology.topics.partitions,
  };
}

/**
 * The kafkajs options for the settings, built as the worker's are (adapters/kafka/kafka-client.ts): TLS with the CA
 * file read and SASL with the password resolved now, client log lines to `log` without protocol payloads.
 */
export function simulatorKafkaConfig(
  settings: SimulatorKafkaSettings,
  log: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): KafkaConfig {
  const connection: KafkaConnection = {
    brokers: [...settings.brokers],
    clientId: settings.clientId,
    ...(settings.ssl ? { ssl: settings.ssl } : {}),
    ...(settings.sasl ? { sasl: settings.sasl } : {}),
  };
  return kafkaClientConfig(connection, log, env);
}

export function splitBrokers(list: string): string[] {
  return list
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

export function subjectFor(topic: string): string {
  return `${topic}-value`;
}
