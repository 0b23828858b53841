import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Consumer, Kafka } from 'kafkajs';
import { consumerGivenUp, ReaderStoppedError } from '../../../../src/adapters/kafka/consumer-give-up.js';
import { ControlFollower } from '../../../../src/adapters/kafka/control/topic.js';

const EVENTS = { CRASH: 'consumer.crash' } as const;

/** A consumer whose only behaviour is its instrumentation events (what these tests exercise). */
function stubConsumer(): { consumer: Consumer; crash: (error: Error, restart: boolean) => void } {
  const emitter = new EventEmitter();
  const consumer = {
    events: EVENTS,
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
  } as unknown as Consumer;
  return {
    consumer,
    crash: (error, restart) => emitter.emit(EVENTS.CRASH, { payload: { error, groupId: 'shared-group', restart } }),
  };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

describe('consumerGivenUp', () => {
  it('resolves with the error when kafkajs will not restart the consumer', async () => {
    const { consumer, crash } = stubConsumer();
    const givenUp = consumerGivenUp(consumer);
    const error = new Error('Not authorized to access group');
    crash(error, false);
    assert.equal(await within(givenUp, 1_000), error);
  });

  it('stays pending while kafkajs restarts the consumer itself', async () => {
    const { consumer, crash } = stubConsumer();
    const givenUp = consumerGivenUp(consumer);
    crash(new Error('This server does not host this topic-partition'), true);
    assert.equal(await within(givenUp, 100), 'pending');
  });

  it('names the group and the fix when another application holds the group with another assignor', async () => {
    const { consumer, crash } = stubConsumer();
    const givenUp = consumerGivenUp(consumer);
    const refused = Object.assign(new Error("The group member's supported protocols are incompatible"), {
      type: 'INCONSISTENT_GROUP_PROTOCOL',
    });
    crash(refused, false);
    const error = await givenUp;
    assert.match(error.message, /incompatible: another application's consumers use the group id shared-group/);
    assert.match(error.message, /give one of them a group id of its own/);
    assert.equal(error.cause, refused);
  });

  it('says which reader stopped, why, and what that means', () => {
    const error = new ReaderStoppedError('the reader of t', 'nothing more arrives', new Error('denied'));
    assert.equal(error.message, 'the reader of t stopped for good (denied): nothing more arrives');
  });
});

describe('ControlFollower when kafkajs gives its reader up', () => {
  function follower(): { follower: ControlFollower; crash: (error: Error, restart: boolean) => void } {
    const { consumer, crash } = stubConsumer();
    const kafka = { consumer: () => consumer } as unknown as Kafka;
    return { follower: new ControlFollower({ kafka, topology: 'payments' }), crash };
  }

  it('reports it, and a start-up waiting for the current state is told instead of waiting for ever', async () => {
    const { follower: reader, crash } = follower();
    crash(new Error('Not authorized to access topics'), false);
    const failed = await within(reader.failed, 1_000);
    assert.ok(failed instanceof ReaderStoppedError);
    assert.match(
      failed.message,
      /^the reader of payments\.control stopped for good \(Not authorized to access topics\)/,
    );
    assert.match(failed.message, /the kill switch/);
    await assert.rejects(reader.ready, (error: unknown) => error === failed);
  });

  it('stays quiet while kafkajs restarts the reader itself', async () => {
    const { follower: reader, crash } = follower();
    crash(new Error('retriable'), true);
    assert.equal(await within(reader.failed, 100), 'pending');
  });
});
