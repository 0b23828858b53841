import type { RegistryConnection } from '../config/index.js';

/**
 * Everything the simulator needs to reach Kafka, in one object, so that a topology file, flags or a test can fill it
 * from wherever they get it (topology: kafka.brokers, schemaRegistry, topics.input, topics.labels, topics.partitions).
 */
export interface SimulatorKafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
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

export function splitBrokers(list: string): string[] {
  return list
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

export function subjectFor(topic: string): string {
  return `${topic}-value`;
}
