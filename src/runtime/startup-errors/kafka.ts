import { displayUrl, type Topology } from '../../config/index.js';
import { describeSecret, networkFailure, type ErrorLike } from './describe.js';
import { StartupError, StartupErrorCode } from './error.js';

// Node's codes for a certificate the client does not trust.
const UNTRUSTED_CERTIFICATE =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;

function explainSecurity(e: ErrorLike, topology: Topology, brokers: string): StartupError | undefined {
  const { kafka } = topology;
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
  return undefined;
}

/**
 * No connection at all. kafkajs names the broker it failed on: one of kafka.brokers (the address is wrong or Kafka
 * is down), or one the cluster advertised after a successful bootstrap (the broker's advertised.listeners is wrong
 * for where this worker runs).
 */
function explainUnreachable(
  errors: readonly ErrorLike[],
  topology: Topology,
  brokers: string,
): StartupError | undefined {
  const failure = networkFailure(errors);
  if (!failure) return undefined;
  const reason = `${failure.code}: ${failure.cause}`;
  const failed = errors.find((e) => typeof e.broker === 'string')?.broker;
  if (failed !== undefined && !topology.kafka.brokers.includes(failed)) {
    return new StartupError(
      StartupErrorCode.KafkaUnreachable,
      'kafka.brokers',
      `reached ${brokers}, but the broker address the cluster advertises, ${displayUrl(failed)}, cannot be connected to (${reason}); set the brokers' advertised.listeners to an address this worker can reach`,
    );
  }
  return new StartupError(
    StartupErrorCode.KafkaUnreachable,
    'kafka.brokers',
    `cannot connect to Kafka at ${brokers} (${reason}); check the host and port of each broker and that Kafka is running`,
  );
}

export function explainKafka(errors: readonly ErrorLike[], topology: Topology): StartupError | undefined {
  const { kafka } = topology;
  // Host:port pairs carry no credentials, unless someone wrote user:password@ in front: printed without either way.
  const brokers = kafka.brokers.map(displayUrl).join(',');
  for (const e of errors) {
    const explained = explainSecurity(e, topology, brokers);
    if (explained) return explained;
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
  return explainUnreachable(errors, topology, brokers);
}
