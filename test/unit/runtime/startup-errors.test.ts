import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTopology, type Topology } from '../../../src/config/index.js';
import {
  connecting,
  explainStartupError,
  StartupError,
  StartupErrorCode,
  type StartupService,
} from '../../../src/runtime/startup-errors.js';

function topology(extra: { kafka?: string; redis?: string; registry?: string } = {}): Topology {
  return parseTopology(
    `name: t
kafka: { brokers: ['b1:9093'] ${extra.kafka ?? ''} }
schemaRegistry: { url: 'https://sr:8443/apis/ccompat/v7' ${extra.registry ?? ''} }
redis: { url: 'redis://r:6379' ${extra.redis ?? ''} }
topics: { input: i, output: o, labels: l, deadLetter: d }
consumerGroup: g
batch: { maxRecords: 100, maxWaitMs: 100 }
features: { set: card-baseline-v1, labelDelayDays: 7 }
model: { registry: ./registry, name: card-fraud, version: champion }
decision: { blockAt: 0.5, reviewAt: 0.1, fallbackScore: 0.05 }
metrics: { port: 0 }
`,
    't.yaml',
    {},
  );
}

const SECURED = topology({
  kafka: `, ssl: { caFile: /etc/ca.pem }, sasl: { mechanism: scram-sha-512, username: svc, password: { env: KAFKA_PW } }`,
  redis: `, username: svc, password: { file: /run/secrets/redis }`,
  registry: `, username: svc, password: { env: SR_PW }`,
});

function explained(error: unknown, service: StartupService, t: Topology = SECURED): StartupError {
  const result = explainStartupError(error, t, service);
  assert.ok(result instanceof StartupError, `not explained: ${String(result)}`);
  assert.ok(result.message.startsWith(`${result.field}: `), result.message);
  return result;
}

const kafkaError = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, ...extra });

describe('start-up errors: the field and the fix', () => {
  it('Kafka: wrong SASL credentials name kafka.sasl.password and where the password comes from', () => {
    const e = explained(
      kafkaError('KafkaJSSASLAuthenticationError', 'SASL SCRAM SHA512 authentication failed: invalid credentials'),
      'kafka',
    );
    assert.equal(e.code, StartupErrorCode.KafkaAuthentication);
    assert.equal(e.field, 'kafka.sasl.password');
    assert.match(e.message, /rejected user "svc".*environment variable KAFKA_PW/);
  });

  it('Kafka: an untrusted certificate, wrapped in a retries-exceeded error, names kafka.ssl.caFile', () => {
    const inner = kafkaError(
      'KafkaJSConnectionError',
      'Connection error: self-signed certificate in certificate chain',
      {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      },
    );
    const outer = kafkaError('KafkaJSNumberOfRetriesExceeded', inner.message, { originalError: inner });
    const e = explained(outer, 'kafka');
    assert.equal(e.code, StartupErrorCode.KafkaTls);
    assert.match(
      e.message,
      /^kafka\.ssl\.caFile: .* not signed by the CA in \/etc\/ca\.pem \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
    const noCa = topology({ kafka: ', ssl: {}' });
    assert.match(explained(outer, 'kafka', noCa).message, /set kafka\.ssl\.caFile to the PEM of the CA/);
  });

  it('Kafka: mechanism, host name, plaintext port and a listener that needs SASL or TLS', () => {
    assert.equal(
      explained(kafkaError('KafkaJSProtocolError', 'unsupported', { type: 'UNSUPPORTED_SASL_MECHANISM' }), 'kafka')
        .field,
      'kafka.sasl.mechanism',
    );
    assert.equal(
      explained(kafkaError('KafkaJSConnectionError', 'altname', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'kafka')
        .field,
      'kafka.brokers',
    );
    assert.equal(
      explained(
        kafkaError('KafkaJSConnectionError', 'Connection error: wrong version number', { code: 'EPROTO' }),
        'kafka',
      ).field,
      'kafka.ssl',
    );
    const closed = kafkaError('KafkaJSConnectionClosedError', 'Closed connection');
    assert.equal(explained(closed, 'kafka', topology({ kafka: ', ssl: {}' })).field, 'kafka.sasl');
    assert.match(explained(closed, 'kafka', topology()).message, /configure kafka\.ssl and kafka\.sasl/);
    // Fully configured: a closed connection is not a configuration problem, and stays as it was.
    assert.equal(explainStartupError(closed, SECURED, 'kafka'), closed);
  });

  it('Redis: WRONGPASS, NOAUTH, NOPERM and an unreachable server', () => {
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    const wrong = explained(reply('WRONGPASS invalid username-password pair or user is disabled.'), 'redis');
    assert.equal(wrong.field, 'redis.password');
    assert.match(wrong.message, /refused user "svc" .* file \/run\/secrets\/redis/);
    const noAuth = explained(reply('NOAUTH Authentication required.'), 'redis', topology());
    assert.match(noAuth.message, /requires authentication .* set redis\.username and redis\.password/);
    assert.equal(explained(reply('NOPERM no permission'), 'redis').field, 'redis.username');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(explained(refused, 'redis').code, StartupErrorCode.RedisUnreachable);
  });

  it('registry: 401 with and without a configured user, 403, and our own setCompatibility failure', () => {
    const unauthorized = Object.assign(new Error('Confluent_Schema_Registry - Error, status 401'), { status: 401 });
    const wrong = explained(unauthorized, 'registry');
    assert.equal(wrong.field, 'schemaRegistry.password');
    assert.match(wrong.message, /rejected user "svc" \(HTTP 401\); the password comes from environment variable SR_PW/);
    assert.equal(explained(unauthorized, 'registry', topology()).field, 'schemaRegistry.username');
    assert.equal(
      explained(Object.assign(new Error('forbidden'), { status: 403 }), 'registry').code,
      StartupErrorCode.RegistryPermission,
    );
    const ours = new Error('setting compatibility BACKWARD on subject s failed: HTTP 401 ');
    assert.equal(explained(ours, 'registry').field, 'schemaRegistry.password');
  });

  it('leaves anything else untouched, and connecting() rethrows it as it was', async () => {
    const other = new Error('disk full');
    for (const service of ['kafka', 'redis', 'registry'] as const) {
      assert.equal(explainStartupError(other, SECURED, service), other);
    }
    await assert.rejects(
      connecting('kafka', SECURED, () => Promise.reject(other)),
      (e) => e === other,
    );
    assert.equal(await connecting('redis', SECURED, () => Promise.resolve(42)), 42);
  });
});
