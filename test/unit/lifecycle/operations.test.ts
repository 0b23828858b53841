import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { parseTopology } from '../../../src/config/index.js';
import { controlOperations } from '../../../src/lifecycle/operations.js';
import { StartupError } from '../../../src/runtime/startup-errors.js';

const topology = parseTopology(readFileSync('topologies/card-payments.yaml', 'utf8'), 't.yaml', {
  FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1',
});

describe('control operations: connections', () => {
  // Nothing listens on port 1; no retries, so the refusal comes at once.
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const ops = controlOperations(topology, kafka, { actor: 'test' });
  const explained = (error: Error) => {
    assert.ok(error instanceof StartupError, String(error));
    assert.match(error.message, /^kafka\.brokers: cannot connect to Kafka at 127\.0\.0\.1:1 \(ECONNREFUSED/);
    return true;
  };

  it('reading the control state explains unreachable brokers naming kafka.brokers', async () => {
    await assert.rejects(ops.view(), explained);
  });

  it('a change explains them the same way', async () => {
    await assert.rejects(ops.killOff('test'), explained);
  });
});
