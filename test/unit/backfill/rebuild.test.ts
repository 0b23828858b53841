import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { Redis } from 'ioredis';
import { parseTopology, type Connecting, type StartupService } from '../../../src/config/index.js';
import { createAvroSerde } from '../../../src/adapters/registry/serde.js';
import { rebuildState } from '../../../src/backfill/index.js';
import { connectingFor, StartupError } from '../../../src/runtime/startup-errors.js';

const topology = parseTopology(readFileSync('topologies/card-payments.yaml', 'utf8'), 't.yaml', {
  FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1',
});

describe('state rebuild: connections', () => {
  it('explains brokers that cannot be reached naming kafka.brokers, before Redis is touched', async () => {
    // Nothing listens on port 1; no retries, so the refusal comes at once.
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING });
    const redis = new Proxy({} as Redis, {
      get: () => assert.fail('Redis must not be touched before Kafka answered'),
    });
    await assert.rejects(
      rebuildState({
        topology,
        kafka,
        serde: createAvroSerde({ url: 'http://127.0.0.1:1/apis/ccompat/v7' }),
        redis,
        connecting: connectingFor(topology),
      }),
      (error: Error) => {
        assert.ok(error instanceof StartupError, String(error));
        assert.match(error.message, /^kafka\.brokers: cannot connect to Kafka at 127\.0\.0\.1:1 \(ECONNREFUSED/);
        return true;
      },
    );
  });
});

describe('state rebuild: stopped before the replay', () => {
  it('deletes nothing when the stop comes while the committed offsets are read', async () => {
    const stop = new AbortController();
    const stopped = new Error('stopped by SIGINT');
    const redis = new Proxy({} as Redis, {
      get: () => assert.fail('Redis must not be touched once the rebuild was stopped'),
    });
    // The committed offsets are "read" (no Kafka needed) while the stop arrives.
    const connecting: Connecting = async <T>(service: StartupService, step: () => Promise<T>): Promise<T> => {
      if (service !== 'kafka') return step();
      stop.abort(stopped);
      return new Map() as T;
    };
    await assert.rejects(
      rebuildState({
        topology,
        kafka: new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING }),
        serde: createAvroSerde({ url: 'http://127.0.0.1:1/apis/ccompat/v7' }),
        redis,
        connecting,
        signal: stop.signal,
      }),
      (error: unknown) => error === stopped,
    );
  });
});
