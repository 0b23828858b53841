import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseTopology } from '../../../src/config/index.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { kafkaSettingsFromTopology, simulatorKafkaConfig } from '../../../src/simulate/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudscore-simulate-settings-'));
const caFile = join(dir, 'ca.crt');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const env = {
  FRAUDSCORE_KAFKA_BROKERS: 'kafka-0:9093',
  FRAUDSCORE_REGISTRY_URL: 'https://registry:8443/apis/ccompat/v7',
  FRAUDSCORE_REDIS_URL: 'rediss://redis:6380',
  KAFKA_PASSWORD: 'kafka-s3cret',
  REGISTRY_PASSWORD: 'registry-s3cret',
};

/** The shipped secured topology, with its passwords from env vars and its CA file one the test wrote. */
function securedTopology() {
  const text = readFileSync('topologies/card-payments-secured.yaml', 'utf8')
    .replace('/etc/fraudscore/ca/ca.crt', caFile)
    .replace('{ file: /etc/fraudscore/secrets/kafka-password }', '{ env: KAFKA_PASSWORD }')
    .replace('{ file: /etc/fraudscore/secrets/registry-password }', '{ env: REGISTRY_PASSWORD }');
  return parseTopology(text, 'card-payments-secured.yaml', env);
}

describe('simulator Kafka settings from a topology', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("carry the topology's TLS and SASL into the client options, as the worker's client has them", () => {
    const settings = kafkaSettingsFromTopology(securedTopology(), env);
    assert.deepEqual(settings.brokers, ['kafka-0:9093']);
    assert.equal(settings.clientId, 'fraudscore-card-payments-simulator');
    assert.deepEqual(settings.registry, {
      url: 'https://registry:8443/apis/ccompat/v7',
      username: 'fraudscore',
      password: 'registry-s3cret',
    });

    const config = simulatorKafkaConfig(settings, createLogger({ name: 't', level: 'silent' }), env);
    assert.deepEqual(config.brokers, ['kafka-0:9093']);
    assert.deepEqual(config.ssl, { rejectUnauthorized: true, ca: [readFileSync(caFile, 'utf8')] });
    assert.deepEqual(config.sasl, { mechanism: 'scram-sha-512', username: 'fraudscore', password: 'kafka-s3cret' });
  });

  it('leave TLS and SASL out for a plaintext topology', () => {
    const topology = parseTopology(readFileSync('topologies/card-payments.yaml', 'utf8'), 'card-payments.yaml', {});
    const config = simulatorKafkaConfig(
      kafkaSettingsFromTopology(topology, {}),
      createLogger({ name: 't', level: 'silent' }),
      {},
    );
    assert.equal(config.ssl, undefined);
    assert.equal(config.sasl, undefined);
  });
});
