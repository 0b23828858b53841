/**
 * Start-up failures that a connection or the model registry reports but the configuration causes or the operator
 * fixes: an address where nothing listens, wrong credentials, a CA that does not sign the server's certificate, a
 * listener that needs SASL or TLS, a model path that holds no registry, a metrics address this host cannot listen on.
 * A closed vocabulary, like the dead-letter reasons.
 */
export const StartupErrorCode = {
  KafkaUnreachable: 'KAFKA_UNREACHABLE',
  KafkaAuthentication: 'KAFKA_AUTHENTICATION',
  KafkaSaslMechanism: 'KAFKA_SASL_MECHANISM',
  KafkaTls: 'KAFKA_TLS',
  KafkaConnectionClosed: 'KAFKA_CONNECTION_CLOSED',
  RedisAuthentication: 'REDIS_AUTHENTICATION',
  RedisPermission: 'REDIS_PERMISSION',
  RedisUnreachable: 'REDIS_UNREACHABLE',
  RedisNotRedis: 'REDIS_NOT_REDIS',
  RegistryUnreachable: 'REGISTRY_UNREACHABLE',
  RegistryNotAnApi: 'REGISTRY_NOT_AN_API',
  RegistryAuthentication: 'REGISTRY_AUTHENTICATION',
  RegistryPermission: 'REGISTRY_PERMISSION',
  ModelRegistryMissing: 'MODEL_REGISTRY_MISSING',
  ModelRegistryUnreadable: 'MODEL_REGISTRY_UNREADABLE',
  ModelNotFound: 'MODEL_NOT_FOUND',
  ModelVersionNotFound: 'MODEL_VERSION_NOT_FOUND',
  ModelRefused: 'MODEL_REFUSED',
  MetricsPortInUse: 'METRICS_PORT_IN_USE',
  MetricsPortNotPermitted: 'METRICS_PORT_NOT_PERMITTED',
  MetricsHostUnavailable: 'METRICS_HOST_UNAVAILABLE',
} as const;
export type StartupErrorCode = (typeof StartupErrorCode)[keyof typeof StartupErrorCode];

/**
 * What the operator reads, on one line: the topology field, what was tried, the likely cause, the fix. Never the
 * secret: messages name where a secret comes from (an environment variable or a file), URLs are printed without
 * credentials, and the client errors they quote carry none. The original error is deliberately not attached as
 * `cause`: a logger or the CLI must not print a second, raw rendering of it.
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
