import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Consumer } from 'kafkajs';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../src/adapters/observability/metrics.js';
import type { TransactionalSink } from '../../../src/adapters/kafka/transactional-sink.js';
import { Runner } from '../../../src/runtime/runner.js';

const EVENTS = { GROUP_JOIN: 'join', HEARTBEAT: 'heartbeat', REBALANCING: 'rebalancing', CRASH: 'crash' } as const;

/** Just what Runner.start touches of a kafkajs consumer: events, subscribe, run (never fetching anything). */
function stubConsumer(): { consumer: Consumer; emit: (event: string, payload: unknown) => void } {
  const emitter = new EventEmitter();
  const consumer = {
    events: EVENTS,
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    subscribe: async () => undefined,
    run: async () => undefined,
    disconnect: async () => undefined,
  } as unknown as Consumer;
  return { consumer, emit: (event, payload) => emitter.emit(event, { payload }) };
}

function runnerWith(consumer: Consumer): Runner {
  return new Runner({
    consumer,
    sink: { disconnect: async () => undefined } as unknown as TransactionalSink,
    scoreBatch: async () => {
      throw new Error('no batch is formed in this test');
    },
    window: { maxRecords: 100, maxWaitMs: 50 },
    topics: ['in'],
    labelsTopic: 'labels',
    batchIdPrefix: 't',
    log: createLogger({ name: 'test', level: 'silent' }),
    metrics: createPipelineMetrics('test'),
    clock: Date.now,
    timeOf: async (records) => records.map(() => undefined),
  });
}

const settled = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), ms))]);

describe('Runner and a crashed kafkajs consumer', () => {
  it('fails loudly when kafkajs gives the consumer up (no restart): it would otherwise never fetch again', async () => {
    const { consumer, emit } = stubConsumer();
    const runner = runnerWith(consumer);
    await runner.start();
    const error = new Error('broker said no, for good');
    emit(EVENTS.CRASH, { error, groupId: 'g', restart: false });
    assert.equal(await settled(runner.failed, 2_000), true, 'the runner did not fail');
    assert.equal(await runner.failed, error);
    assert.match(runner.unhealthyReason() ?? '', /fatal: broker said no, for good/);
    await runner.stop();
  });

  it('goes on when kafkajs restarts the consumer itself', async () => {
    const { consumer, emit } = stubConsumer();
    const runner = runnerWith(consumer);
    await runner.start();
    emit(EVENTS.CRASH, { error: new Error('retriable'), groupId: 'g', restart: true });
    assert.equal(await settled(runner.failed, 200), false);
    assert.equal(runner.unhealthyReason(), null);
    await runner.stop();
  });
});
