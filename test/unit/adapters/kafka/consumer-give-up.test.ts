import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Consumer, Kafka } from 'kafkajs';
import { createRequire } from 'node:module';
import {
  ConsumerReruns,
  consumerGivenUp,
  COORDINATOR_OUTAGE_LIMIT_MS,
  ReaderStoppedError,
  type RerunAfterOutage,
} from '../../../../src/adapters/kafka/consumer-give-up.js';
import { ControlFollower } from '../../../../src/adapters/kafka/control/topic.js';

const EVENTS = { CRASH: 'consumer.crash', FETCH: 'consumer.fetch' } as const;

/** A consumer whose only behaviour is its instrumentation events and counting its runs (what these tests exercise). */
function stubConsumer(): {
  consumer: Consumer;
  crash: (error: Error, restart: boolean) => void;
  fetched: () => void;
  runs: () => number;
} {
  const emitter = new EventEmitter();
  let runs = 0;
  const consumer = {
    events: EVENTS,
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    run: async () => {
      runs++;
    },
  } as unknown as Consumer;
  return {
    consumer,
    crash: (error, restart) => emitter.emit(EVENTS.CRASH, { payload: { error, groupId: 'shared-group', restart } }),
    fetched: () => emitter.emit(EVENTS.FETCH, { payload: {} }),
    runs: () => runs,
  };
}

const kafkajsModule = createRequire(import.meta.url);
const { KafkaJSGroupCoordinatorNotFound } = kafkajsModule('kafkajs/src/errors.js') as {
  KafkaJSGroupCoordinatorNotFound: new (message: string) => Error;
};
const createRetry = kafkajsModule('kafkajs/src/retry/index.js') as (options: {
  retries: number;
}) => (attempt: () => Promise<never>) => Promise<never>;

/** What kafkajs throws, as an error it does not retry, when no broker told it the group's coordinator (a first join). */
function coordinatorNotFound(): Error {
  return new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator');
}

/** The same error as a running consumer's rejoin reports it: through kafkajs's fetch-loop retrier, which wraps it. */
async function coordinatorNotFoundOnRejoin(): Promise<Error> {
  return createRetry({ retries: 0 })(() => Promise.reject(coordinatorNotFound())).catch((error: Error) => error);
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

  describe('with a rerun: a broker restart that left no coordinator to find', () => {
    function rerunOf(consumer: Consumer, clock: () => number = Date.now) {
      const controller = new AbortController();
      const told: number[] = [];
      const rerun: RerunAfterOutage = {
        run: () => consumer.run({}),
        signal: controller.signal,
        onRerun: (_error, inMs) => told.push(inMs),
        clock,
      };
      return { rerun, controller, told };
    }

    it('runs the consumer again after a short wait, says so, and does not give it up', async () => {
      const { consumer, crash, runs } = stubConsumer();
      const { rerun, told } = rerunOf(consumer);
      const givenUp = consumerGivenUp(consumer, rerun);
      crash(coordinatorNotFound(), false);
      assert.deepEqual(told, [250]);
      assert.equal(runs(), 0, 'ran again before the wait');
      assert.equal(await within(givenUp, 400), 'pending');
      assert.equal(runs(), 1);
      crash(coordinatorNotFound(), false);
      assert.deepEqual(told, [250, 500], 'the waits double while no fetch completes');
    });

    it("runs a running consumer again too: a rejoin's error, wrapped by kafkajs's retrier", async () => {
      const { consumer, crash, runs } = stubConsumer();
      const givenUp = consumerGivenUp(consumer, rerunOf(consumer).rerun);
      const wrapped = await coordinatorNotFoundOnRejoin();
      assert.equal(wrapped.name, 'KafkaJSNonRetriableError', 'kafkajs no longer wraps it: revisit this test');
      crash(wrapped, false);
      assert.equal(await within(givenUp, 400), 'pending');
      assert.equal(runs(), 1);
    });

    it('a fetch in between starts the waits, and the outage, over', async () => {
      let nowMs = 0;
      const { consumer, crash, fetched } = stubConsumer();
      const { rerun, told } = rerunOf(consumer, () => nowMs);
      const givenUp = consumerGivenUp(consumer, rerun);
      crash(coordinatorNotFound(), false);
      crash(coordinatorNotFound(), false);
      nowMs += COORDINATOR_OUTAGE_LIMIT_MS - 1;
      fetched();
      nowMs += COORDINATOR_OUTAGE_LIMIT_MS - 1;
      crash(coordinatorNotFound(), false);
      assert.deepEqual(told, [250, 500, 250]);
      assert.equal(await within(givenUp, 50), 'pending');
    });

    it('gives the consumer up once no coordinator was found for the whole limit, naming the likely causes', async () => {
      let nowMs = 0;
      const { consumer, crash } = stubConsumer();
      const { rerun, told } = rerunOf(consumer, () => nowMs);
      const givenUp = consumerGivenUp(consumer, rerun);
      const first = coordinatorNotFound();
      crash(first, false);
      nowMs += COORDINATOR_OUTAGE_LIMIT_MS;
      const last = coordinatorNotFound();
      crash(last, false);
      assert.equal(told.length, 1);
      const error = await within(givenUp, 1_000);
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /^Failed to find group coordinator for 5 minutes \(group shared-group\), run again 1/,
      );
      assert.match(error.message, /no broker answered all that time, or this client may not use the group \(an ACL/);
      assert.equal(error.cause, last);
    });

    it('runs nothing again once its owner stopped the consumer, during the wait or before the crash', async () => {
      const { consumer, crash, runs } = stubConsumer();
      const { rerun, controller } = rerunOf(consumer);
      const givenUp = consumerGivenUp(consumer, rerun);
      crash(coordinatorNotFound(), false);
      controller.abort();
      crash(coordinatorNotFound(), false);
      assert.equal(await within(givenUp, 400), 'pending');
      assert.equal(runs(), 0);
    });

    it('a rerun that throws gives the consumer up with its error', async () => {
      const { consumer, crash } = stubConsumer();
      const refused = new Error('Cannot subscribe to topic while consumer is running');
      const givenUp = consumerGivenUp(consumer, {
        run: () => Promise.reject(refused),
        signal: new AbortController().signal,
      });
      crash(coordinatorNotFound(), false);
      assert.equal(await within(givenUp, 1_000), refused);
    });

    it('any other error kafkajs does not retry still gives the consumer up at once', async () => {
      const { consumer, crash, runs } = stubConsumer();
      const givenUp = consumerGivenUp(consumer, rerunOf(consumer).rerun);
      const denied = new Error('Not authorized to access group');
      crash(denied, false);
      assert.equal(await within(givenUp, 1_000), denied);
      assert.equal(runs(), 0);
    });

    it('without a rerun, a coordinator not found gives the consumer up, as kafkajs does', async () => {
      const { consumer, crash } = stubConsumer();
      const givenUp = consumerGivenUp(consumer);
      const error = coordinatorNotFound();
      crash(error, false);
      assert.equal(await within(givenUp, 1_000), error);
    });
  });

  describe('ConsumerReruns', () => {
    it('is pending from the crash until the rerun has joined, and still pending if that rerun crashed again', async () => {
      let finishRun!: () => void;
      let crashDuringRun = false;
      const reruns: ConsumerReruns = new ConsumerReruns(async () => {
        if (crashDuringRun) reruns.onRerun(coordinatorNotFound(), 500);
        await new Promise<void>((resolve) => (finishRun = resolve));
      });
      assert.equal(reruns.pending(), false);
      reruns.onRerun(coordinatorNotFound(), 250);
      assert.equal(reruns.pending(), true);
      const first = reruns.run();
      finishRun();
      await first;
      assert.equal(reruns.pending(), false, 'joined: no longer pending');
      reruns.onRerun(coordinatorNotFound(), 250);
      crashDuringRun = true;
      const second = reruns.run();
      finishRun();
      await second;
      assert.equal(reruns.pending(), true, 'the rerun crashed again and another is scheduled');
    });

    it('stop waits for a rerun that is joining, so that the disconnect after it leaves the group', async () => {
      let finishRun!: () => void;
      const reruns = new ConsumerReruns(() => new Promise<void>((resolve) => (finishRun = resolve)));
      reruns.onRerun(coordinatorNotFound(), 250);
      void reruns.run();
      const stopped = reruns.stop();
      assert.equal(reruns.signal.aborted, true);
      assert.equal(reruns.pending(), false);
      assert.equal(await within(stopped, 100), 'pending', 'stop returned while the rerun still joined');
      finishRun();
      assert.equal(await within(stopped, 100), undefined);
    });
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

  it('runs the reader again when kafkajs stopped it for want of its coordinator (a broker restarting)', async () => {
    const { consumer, crash, runs } = stubConsumer();
    const kafka = { consumer: () => consumer } as unknown as Kafka;
    const warned: string[] = [];
    const reader = new ControlFollower({
      kafka,
      topology: 'payments',
      log: { warn: (_fields: unknown, message: string) => warned.push(message) } as never,
    });
    crash(coordinatorNotFound(), false);
    assert.equal(reader.rerunPending(), true, 'the worker is told (not ready) while its control reader waits');
    assert.equal(await within(reader.failed, 400), 'pending');
    assert.equal(runs(), 1);
    assert.equal(reader.rerunPending(), false);
    assert.match(warned[0] ?? '', /^the reader of payments\.control: kafkajs stopped it for want of its group coord/);
    await reader.stop().catch(() => undefined);
  });

  it('stays quiet while kafkajs restarts the reader itself', async () => {
    const { follower: reader, crash } = follower();
    crash(new Error('retriable'), true);
    assert.equal(await within(reader.failed, 100), 'pending');
  });
});
