import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { explainStartupError, StartupError, StartupErrorCode } from '../../../../src/runtime/startup-errors.js';
import { SECURED_TOPOLOGY, startupTopology } from '../../../support/startup-topology.js';

/** What kafkajs really throws when the admin client cannot connect to `broker` (no retries: a unit test). */
async function kafkajsConnectError(broker: string): Promise<unknown> {
  const kafka = new Kafka({
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  return admin.connect().then(
    () => assert.fail(`something listens on ${broker}`),
    (error: unknown) => error,
  );
}

function explained(error: unknown, topology = SECURED_TOPOLOGY): StartupError {
  const result = explainStartupError(error, topology, 'kafka');
  assert.ok(result instanceof StartupError, `not explained: ${String(result)}`);
  assert.ok(result.message.startsWith(`${result.field}: `), result.message);
  assert.ok(!result.message.includes('\n'), `one line: ${result.message}`);
  return result;
}

const kafkaError = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, ...extra });

describe('start-up errors: Kafka', () => {
  it('a stopped broker (kafkajs ECONNREFUSED on 127.0.0.1:1) names kafka.brokers, the address and the fix', async () => {
    const topology = startupTopology({ brokers: '127.0.0.1:1' });
    const e = explained(await kafkajsConnectError('127.0.0.1:1'), topology);
    assert.equal(e.code, StartupErrorCode.KafkaUnreachable);
    assert.equal(
      e.message,
      'kafka.brokers: cannot connect to Kafka at 127.0.0.1:1 (ECONNREFUSED: nothing accepts connections there); check the host and port of each broker and that Kafka is running',
    );
  });

  it('a host name that does not resolve names kafka.brokers and says so', async () => {
    // .invalid never resolves (RFC 2606); without DNS at all the resolver says EAI_AGAIN instead.
    const topology = startupTopology({ brokers: 'broker.invalid:9092' });
    const e = explained(await kafkajsConnectError('broker.invalid:9092'), topology);
    assert.equal(e.field, 'kafka.brokers');
    assert.match(
      e.message,
      /^kafka\.brokers: cannot connect to Kafka at broker\.invalid:9092 \((ENOTFOUND: the host name does not resolve|EAI_AGAIN: the host name could not be resolved \(no DNS answer\))\); check the host and port/,
    );
  });

  it('a connection timeout names kafka.brokers and the likely causes', () => {
    // kafkajs' shape for a connect that got no answer within connectionTimeout (no socket code).
    const timeout = kafkaError('KafkaJSConnectionError', 'Connection timeout', { broker: 'b1:9093' });
    const outer = kafkaError('KafkaJSNumberOfRetriesExceeded', timeout.message, { originalError: timeout });
    assert.match(
      explained(outer, startupTopology()).message,
      /^kafka\.brokers: cannot connect to Kafka at b1:9093 \(ETIMEDOUT: no answer in time: a wrong address, a stopped host or a firewall/,
    );
  });

  it('a broker the cluster advertises but this worker cannot reach points at advertised.listeners', async () => {
    // Bootstrap went to b1:9093; the error is about another address, which only the cluster can have named.
    const e = explained(await kafkajsConnectError('127.0.0.1:1'), startupTopology());
    assert.equal(e.code, StartupErrorCode.KafkaUnreachable);
    assert.match(
      e.message,
      /^kafka\.brokers: reached b1:9093, but the broker address the cluster advertises, 127\.0\.0\.1:1, cannot be connected to \(ECONNREFUSED: .*\); set the brokers' advertised\.listeners/,
    );
  });

  it('wrong SASL credentials name kafka.sasl.password and where the password comes from, never the password', () => {
    const e = explained(
      kafkaError('KafkaJSSASLAuthenticationError', 'SASL SCRAM SHA512 authentication failed: invalid credentials'),
    );
    assert.equal(e.code, StartupErrorCode.KafkaAuthentication);
    assert.equal(e.field, 'kafka.sasl.password');
    assert.match(
      e.message,
      /rejected user "svc".*environment variable KAFKA_PW: check that it holds this user's password/,
    );
  });

  it('an untrusted certificate, wrapped in a retries-exceeded error, names kafka.ssl.caFile', () => {
    const inner = kafkaError(
      'KafkaJSConnectionError',
      'Connection error: self-signed certificate in certificate chain',
      {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      },
    );
    const outer = kafkaError('KafkaJSNumberOfRetriesExceeded', inner.message, { originalError: inner });
    const e = explained(outer);
    assert.equal(e.code, StartupErrorCode.KafkaTls);
    assert.match(
      e.message,
      /^kafka\.ssl\.caFile: .* not signed by the CA in \/etc\/ca\.pem \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
    const noCa = startupTopology({ kafka: ', ssl: {}' });
    assert.match(explained(outer, noCa).message, /set kafka\.ssl\.caFile to the PEM of the CA/);
  });

  it('an unsupported SASL mechanism names kafka.sasl.mechanism', () => {
    const e = explained(kafkaError('KafkaJSProtocolError', 'unsupported', { type: 'UNSUPPORTED_SASL_MECHANISM' }));
    assert.equal(e.field, 'kafka.sasl.mechanism');
    assert.match(e.message, /does not enable scram-sha-512 on this listener; use one of the mechanisms/);
  });

  it('a certificate for another host name names kafka.brokers', () => {
    const e = explained(kafkaError('KafkaJSConnectionError', 'altname', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }));
    assert.equal(e.field, 'kafka.brokers');
    assert.match(e.message, /does not name the host it was reached by/);
  });

  it('TLS to a plaintext port names kafka.ssl', () => {
    const e = explained(
      kafkaError('KafkaJSConnectionError', 'Connection error: wrong version number', { code: 'EPROTO' }),
    );
    assert.equal(e.field, 'kafka.ssl');
    assert.match(e.message, /does not speak TLS on this port .*; remove kafka\.ssl or use the broker's SSL/);
  });

  it('a listener that needs SASL or TLS closes the connection: the missing one is named', () => {
    const closed = kafkaError('KafkaJSConnectionClosedError', 'Closed connection');
    assert.equal(explained(closed, startupTopology({ kafka: ', ssl: {}' })).field, 'kafka.sasl');
    assert.match(explained(closed, startupTopology()).message, /configure kafka\.ssl and kafka\.sasl/);
    // Fully configured: a closed connection is not a configuration problem, and stays as it was.
    assert.equal(explainStartupError(closed, SECURED_TOPOLOGY, 'kafka'), closed);
  });
});
