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
      // kafkajs logs every retried protocol error (a coordinator still loading, CONCURRENT_TRANSACTIONS right after a
      // commit) at error level although it retries them; they are expected, so they go to debug. Real failures
      // surface as errors thrown to the runner, which logs them.
      const retried = entry.namespace === 'Connection' || 'retryCount' in rest;
      const level = retried
        ? 'debug'
        : entry.level === logLevel.ERROR
          ? 'error'
          : entry.level === logLevel.WARN
            ? 'warn'
            : 'debug';
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
