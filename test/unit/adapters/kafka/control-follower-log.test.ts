import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { EachMessagePayload, Kafka } from 'kafkajs';
import { ControlFollower, ControlLogReplacedError } from '../../../../src/adapters/kafka/control/topic.js';
import { createLogger } from '../../../../src/adapters/observability/logger.js';
import { capturedOutput } from '../../../support/captured-output.js';
import {
  EMPTY_VIEW,
  foldControl,
  nextRecord,
  setBatchWindow,
  type ControlView,
} from '../../../../src/core/control/index.js';

/** A Kafka whose control topic holds nothing at start and whose consumer hands over what the test delivers. */
function stubKafka(): { kafka: Kafka; deliver: (offset: number, value: string) => Promise<void> } {
  let eachMessage: ((payload: EachMessagePayload) => Promise<void>) | null = null;
  const emitter = new EventEmitter();
  const consumer = {
    events: { CRASH: 'consumer.crash', FETCH: 'consumer.fetch' },
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (options: { eachMessage: (payload: EachMessagePayload) => Promise<void> }) => {
      eachMessage = options.eachMessage;
    },
    disconnect: async () => undefined,
  };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicOffsets: async () => [{ partition: 0, high: '0', low: '0', offset: '0' }],
  };
  const kafka = { consumer: () => consumer, admin: () => admin } as unknown as Kafka;
  return {
    kafka,
    deliver: async (offset, value) => {
      assert.ok(eachMessage, 'the follower runs its consumer');
      await eachMessage({
        topic: 'card.control',
        partition: 0,
        message: { offset: String(offset), value: Buffer.from(value), key: null, headers: {} },
      } as unknown as EachMessagePayload);
    },
  };
}

const change = (view: ControlView, maxRecords: number, newLog: string) => {
  const transition = setBatchWindow(view.state, { maxRecords, maxWaitMs: null, minRecords: null });
  assert.ok(transition.ok);
  return nextRecord(view, 'card', transition, { actor: 'a', reason: 'r', nowMs: 1, newLog });
};

describe('a control reader that resumes inside a new log', () => {
  it('tells it by the log its records name, where offsets cannot (it never read there)', async () => {
    const { kafka, deliver } = stubKafka();
    const follower = new ControlFollower({ kafka, topology: 'card' });
    await follower.start();
    const v1 = change(EMPTY_VIEW, 500, 'old');
    const v2 = change(foldControl(EMPTY_VIEW, v1, 'card'), 600, 'old');
    await deliver(0, JSON.stringify(v1));
    await deliver(1, JSON.stringify(v2));
    assert.equal(follower.current().version, 2);
    // The topic deleted and created again; its new log grew to three records (versions 1 to 3) before this reader
    // came back at offset 2, the next it had not read.
    let fresh = EMPTY_VIEW;
    for (const maxRecords of [700, 800, 900]) fresh = foldControl(fresh, change(fresh, maxRecords, 'new'), 'card');
    await deliver(2, JSON.stringify(fresh.record));
    const failed = await Promise.race([
      follower.failed,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 1_000).unref()),
    ]);
    assert.ok(failed instanceof ControlLogReplacedError, String(failed));
    assert.match(failed.message, /version 3 was written to log new, version 2 to log old/);
    assert.equal(follower.current().version, 2, 'nothing of the new log applied');
    assert.equal(follower.current().state.batch.maxRecords, 600);
  });
});

describe('a control reader meeting an unreadable record', () => {
  it('warns once per record with its offset and the problem, and applies nothing of it', async () => {
    const { kafka, deliver } = stubKafka();
    const output = capturedOutput();
    const log = createLogger({ name: 'test', level: 'info', destination: output.stream });
    const follower = new ControlFollower({ kafka, topology: 'card', log });
    await follower.start();
    const v1 = change(EMPTY_VIEW, 500, 'old');
    const huge = JSON.stringify({ ...change(foldControl(EMPTY_VIEW, v1, 'card'), 600, 'old'), version: 2 ** 53 - 1 });
    await deliver(0, JSON.stringify(v1));
    await deliver(1, huge);
    await deliver(1, huge); // read again (a restart, the recheck): reported already
    await deliver(2, 'not a control record');
    assert.equal(follower.current().version, 1, 'nothing unreadable applied');
    assert.equal(follower.current().state.batch.maxRecords, 500);
    const warnings = output
      .lines()
      .map((line) => JSON.parse(line) as { level: number; msg: string; offset: string; problem: string })
      .filter((entry) => entry.msg.startsWith('control record unreadable'));
    assert.deepEqual(
      warnings.map((entry) => entry.offset),
      ['1', '2'],
    );
    assert.match(warnings[0]!.problem, /^version: at most 2147483647/);
    assert.match(warnings[1]!.problem, /^not valid JSON/);
    assert.ok(
      warnings.every((entry) => entry.level === 40),
      'at warn level',
    );
    await follower.stop();
  });
});
