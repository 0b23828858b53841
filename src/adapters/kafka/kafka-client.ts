import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { resolveSecret, type Topology } from '../../config/index.js';
import type { Logger } from '../observability/logger.js';

/** Builds the kafkajs client for a topology; credentials are resolved here, at connection time, never logged. */
export function createKafka(
  topology: Topology,
  log: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Kafka {
  const { kafka } = topology;
  const config: KafkaConfig = {
    clientId: kafka.clientId,
    brokers: [...kafka.brokers],
    connectionTimeout: 5_000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const level = entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
      log[level]({ kafkajs: entry.namespace, ...rest }, message);
    },
  };
  if (kafka.ssl) {
    config.ssl = {
      rejectUnauthorized: kafka.ssl.rejectUnauthorized,
      ...(kafka.ssl.caFile ? { ca: [readFileSync(kafka.ssl.caFile, 'utf8')] } : {}),
    };
  }
  if (kafka.sasl) {
    const password = resolveSecret(kafka.sasl.password, 'kafka.sasl.password', env);
    config.sasl = { mechanism: kafka.sasl.mechanism, username: kafka.sasl.username, password } as SASLOptions;
  }
  return new Kafka(config);
}
