import type { SecretRef, Topology } from '../config/index.js';

/**
 * Start-up failures that a connection reports but the configuration causes: wrong credentials, a CA that does not
 * sign the server's certificate, a listener that needs SASL or TLS. A closed vocabulary, like the dead-letter reasons.
 */
export const StartupErrorCode = {
  KafkaAuthentication: 'KAFKA_AUTHENTICATION',
  KafkaSaslMechanism: 'KAFKA_SASL_MECHANISM',
  KafkaTls: 'KAFKA_TLS',
  KafkaConnectionClosed: 'KAFKA_CONNECTION_CLOSED',
  RedisAuthentication: 'REDIS_AUTHENTICATION',
  RedisPermission: 'REDIS_PERMISSION',
  RedisUnreachable: 'REDIS_UNREACHABLE',
  RegistryAuthentication: 'REGISTRY_AUTHENTICATION',
  RegistryPermission: 'REGISTRY_PERMISSION',
} as const;
export type StartupErrorCode = (typeof StartupErrorCode)[keyof typeof StartupErrorCode];

/**
 * What the operator reads: the topology field, what the server said, the fix. Never the secret: messages name where
 * a secret comes from (an environment variable or a file), and the client errors they quote carry no credentials.
 * The original error is deliberately not attached as `cause`: a logger or the CLI must not print a second, raw
 * rendering of it.
 */
export class StartupError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: StartupErrorCode,
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'StartupError';
  }
}

interface ErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string | number;
  readonly type?: string;
  readonly status?: number;
  readonly cause?: unknown;
  readonly originalError?: unknown;
}

/** The error and what it wraps (kafkajs: originalError; ours and Node's: cause), outermost first. */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && out.length < 8) {
    const e = current as ErrorLike;
    out.push(e);
    current = e.cause ?? e.originalError;
  }
  return out;
}

function describeSecret(ref: SecretRef | undefined): string {
  if (!ref) return 'no password is configured';
  return ref.env !== undefined
    ? `the password comes from environment variable ${ref.env}`
    : `the password comes from file ${ref.file}`;
}

// Node's codes for a certificate the client does not trust, and for a name the certificate does not carry.
const UNTRUSTED_CERTIFICATE =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;

function explainKafka(errors: ErrorLike[], topology: Topology): StartupError | undefined {
  const { kafka } = topology;
  const brokers = kafka.brokers.join(',');
  for (const e of errors) {
    if (e.name === 'KafkaJSSASLAuthenticationError' && kafka.sasl) {
      return new StartupError(
        StartupErrorCode.KafkaAuthentication,
        'kafka.sasl.password',
        `broker ${brokers} rejected user "${kafka.sasl.username}" (${e.message}); ${describeSecret(kafka.sasl.password)}: check that it holds this user's password and that kafka.sasl.username and kafka.sasl.mechanism are right`,
      );
    }
    if (e.type === 'UNSUPPORTED_SASL_MECHANISM' || /SASL .*mechanism is not supported/i.test(e.message ?? '')) {
      return new StartupError(
        StartupErrorCode.KafkaSaslMechanism,
        'kafka.sasl.mechanism',
        `broker ${brokers} does not enable ${kafka.sasl?.mechanism ?? 'this SASL mechanism'} on this listener; use one of the mechanisms in its sasl.enabled.mechanisms`,
      );
    }
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNTRUSTED_CERTIFICATE.test(code)) {
      return new StartupError(
        StartupErrorCode.KafkaTls,
        'kafka.ssl.caFile',
        kafka.ssl?.caFile
          ? `the TLS certificate of broker ${brokers} is not signed by the CA in ${kafka.ssl.caFile} (${code}); point kafka.ssl.caFile at the PEM of the CA that signed the broker's certificate`
          : `the TLS certificate of broker ${brokers} is not trusted (${code}); set kafka.ssl.caFile to the PEM of the CA that signed it`,
      );
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new StartupError(
        StartupErrorCode.KafkaTls,
        'kafka.brokers',
        `the TLS certificate of broker ${brokers} does not name the host it was reached by (${e.message}); list the brokers by a name or IP their certificates carry`,
      );
    }
    if (/wrong version number|packet length too long|EPROTO/i.test(`${code} ${e.message ?? ''}`)) {
      return new StartupError(
        StartupErrorCode.KafkaTls,
        'kafka.ssl',
        `broker ${brokers} does not speak TLS on this port (${e.message}); remove kafka.ssl or use the broker's SSL/SASL_SSL listener`,
      );
    }
  }
  // A SASL or SSL listener closes the connection on the first request of a client that skips the handshake.
  if (errors.some((e) => e.name === 'KafkaJSConnectionClosedError') && (!kafka.sasl || !kafka.ssl)) {
    const field = kafka.ssl ? 'kafka.sasl' : 'kafka.ssl';
    const needs = kafka.ssl ? 'SASL' : kafka.sasl ? 'TLS' : 'TLS and/or SASL';
    const configure = !kafka.ssl && !kafka.sasl ? 'kafka.ssl and kafka.sasl' : field;
    return new StartupError(
      StartupErrorCode.KafkaConnectionClosed,
      field,
      `broker ${brokers} closed the connection on the first request: its listener probably requires ${needs}; configure ${configure} as the listener's security protocol demands`,
    );
  }
  return undefined;
}

function explainRedis(errors: ErrorLike[], topology: Topology): StartupError | undefined {
  const { redis } = topology;
  const user = redis.username ?? 'default';
  for (const e of errors) {
    const message = e.message ?? '';
    if (/^WRONGPASS/.test(message)) {
      return new StartupError(
        StartupErrorCode.RedisAuthentication,
        'redis.password',
        `Redis at ${redis.url} refused user "${user}" (${message}); ${describeSecret(redis.password)}: check that it holds this user's password${redis.username ? ' and that redis.username is right' : ', and set redis.username if the server uses ACL users'}`,
      );
    }
    if (/^NOAUTH/.test(message)) {
      return new StartupError(
        StartupErrorCode.RedisAuthentication,
        'redis.password',
        `Redis at ${redis.url} requires authentication (${message}); set redis.username and redis.password ({ env: NAME } or { file: path })`,
      );
    }
    if (/^NOPERM/.test(message)) {
      return new StartupError(
        StartupErrorCode.RedisPermission,
        'redis.username',
        `Redis user "${user}" lacks a permission the pipeline needs (${message}); grant it the commands it uses and the key pattern of redis.keyPrefix (${redis.keyPrefix}*)`,
      );
    }
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH') {
      return new StartupError(
        StartupErrorCode.RedisUnreachable,
        'redis.url',
        `cannot connect to Redis at ${redis.url} (${e.code}); check the address and that Redis is running`,
      );
    }
  }
  return undefined;
}

function registryStatus(errors: ErrorLike[]): number | undefined {
  for (const e of errors) {
    if (typeof e.status === 'number') return e.status;
    const match = /\bHTTP (40[13])\b|status (40[13])\b/.exec(e.message ?? '');
    if (match) return Number(match[1] ?? match[2]);
  }
  return undefined;
}

function explainRegistry(errors: ErrorLike[], topology: Topology): StartupError | undefined {
  const { schemaRegistry } = topology;
  const status = registryStatus(errors);
  if (status === 401) {
    return schemaRegistry.username
      ? new StartupError(
          StartupErrorCode.RegistryAuthentication,
          'schemaRegistry.password',
          `the schema registry at ${schemaRegistry.url} rejected user "${schemaRegistry.username}" (HTTP 401); ${describeSecret(schemaRegistry.password)}: check that it holds this user's password and that schemaRegistry.username is right`,
        )
      : new StartupError(
          StartupErrorCode.RegistryAuthentication,
          'schemaRegistry.username',
          `the schema registry at ${schemaRegistry.url} requires authentication (HTTP 401); set schemaRegistry.username and schemaRegistry.password ({ env: NAME } or { file: path })`,
        );
  }
  if (status === 403) {
    return new StartupError(
      StartupErrorCode.RegistryPermission,
      'schemaRegistry.username',
      `the schema registry at ${schemaRegistry.url} refused user "${schemaRegistry.username ?? '(anonymous)'}" a write (HTTP 403); give it a role that may register schemas and set compatibility`,
    );
  }
  return undefined;
}

export type StartupService = 'kafka' | 'redis' | 'registry';

/**
 * Turns a failure of connecting to `service` that configuration explains into a StartupError naming the field and
 * the fix; anything else is returned unchanged (the caller rethrows it).
 */
export function explainStartupError(error: unknown, topology: Topology, service: StartupService): unknown {
  if (error instanceof StartupError) return error;
  const errors = chain(error);
  const explain = { kafka: explainKafka, redis: explainRedis, registry: explainRegistry }[service];
  return explain(errors, topology) ?? error;
}

/** Runs one connecting step of start-up and rethrows its failure explained. */
export async function connecting<T>(service: StartupService, topology: Topology, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw explainStartupError(error, topology, service);
  }
}
