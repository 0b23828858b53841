import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { resolveSecret, type KafkaConnection, type Topology } from '../../config/index.js';
import type { Logger } from '../observability/logger.js';

/** Builds the kafkajs client for a topology; credentials are resolved here, at connection time, never logged. */
export function createKafka(
  topology: Topology,
  log: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Kafka {
  return new Kafka(kafkaClientConfig(topology.kafka, log, env));
}

/**
 * The kafkajs options for a connection as a topology describes it: brokers, TLS (with its CA file read now), SASL
 * (with its password resolved now), and client log lines bridged to `log` without protocol payloads.
 */
export function kafkaClientConfig(
  kafka: KafkaConnection,
  log: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): KafkaConfig {
  const config: KafkaConfig = {
    clientId: kafka.clientId,
    brokers: [...kafka.brokers],
    connectionTimeout: 5_000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      // Protocol payloads (`data`, `payload`: kafkajs adds them to debug lines) may hold SASL exchange bytes; they
      // never reach our logs. Everything else still passes pino's redaction paths.
      const { message, data: _data, payload: _payload, ...rest } = entry.log;
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
    if (!kafka.ssl.rejectUnauthorized) {
      log.warn("kafka.ssl.rejectUnauthorized is false: the brokers' certificates are not verified (tests only)");
    }
    config.ssl = {
      rejectUnauthorized: kafka.ssl.rejectUnauthorized,
      ...(kafka.ssl.caFile ? { ca: [readCaFile(kafka.ssl.caFile)] } : {}),
    };
  }
  if (kafka.sasl) {
    const password = resolveSecret(kafka.sasl.password, 'kafka.sasl.password', env);
    config.sasl = { mechanism: kafka.sasl.mechanism, username: kafka.sasl.username, password } as SASLOptions;
  }
  return config;
}

function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `kafka.ssl.caFile: cannot read ${file} (${(error as NodeJS.ErrnoException).code}); check the path and permissions`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`kafka.ssl.caFile: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return pem;
}
