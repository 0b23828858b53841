import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
import type { Consumer } from 'kafkajs';
import type { WatermarkStore } from '../../../src/adapters/redis/watermark-store.js';
import type { PartitionBound } from '../../../src/core/batch/event-time-alignment.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../src/adapters/observability/metrics.js';
import type { TransactionalSink } from '../../../src/adapters/kafka/transactional-sink.js';
import { isFatal, Runner } from '../../../src/runtime/runner.js';
import type { RunnerDeps } from '../../../src/runtime/runner-deps.js';
import { FakeGroupConsumer, fakeScoreAndSink, fakeTimes } from '../../support/fake-group-consumer.js';
import { capturedOutput } from '../../support/captured-output.js';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function memoryWatermarks(): WatermarkStore {
  const bounds = new Map<string, PartitionBound>();
  return {
    async readAll() {
      return new Map(bounds);
    },
    async exchange(own) {
      for (const [key, bound] of own) bounds.set(key, bound);
      return new Map(bounds);
    },
  };
}

async function until(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** One worker on input partitions 0 and 1 and labels partition 0, with event-time alignment (label delay 7 days). */
function setUp(options: {
  caughtUp: NonNullable<RunnerDeps['alignment']>['caughtUp'];
  membershipLeaseMs?: number;
  clock?: () => number;
  /** Replaces the fake consumer's end offsets (a broker that does not answer, say). */
  endOffsets?: () => Promise<Map<string, number>>;
  /** Runs inside the sink's commitBatch, before it asks whether the batch is still valid. */
  beforeCommit?: () => void | Promise<void>;
  /** Runs inside the sink's commitBatch once the batch was judged still valid (the transaction's end under way). */
  whileEnding?: () => void | Promise<void>;
  /** Asked once a batch is committed: true loses the commit's answer (see fakeScoreAndSink). */
  answerLost?: () => boolean;
  /** Replaces the decoder that reads each record's event time (a registry that does not answer, say). */
  timeOf?: RunnerDeps['timeOf'];
  /** Wraps the fake scorer (one that fails or hangs, say). */
  scoreBatch?: (fake: RunnerDeps['scoreBatch']) => RunnerDeps['scoreBatch'];
  /** The bounds every worker shares (to stand for other workers' partitions, or for Redis down). */
  watermarks?: WatermarkStore;
}) {
  const consumer = new FakeGroupConsumer();
  const { scoreBatch, sink, committed, replayableFrom } = fakeScoreAndSink({
    ...(options.beforeCommit === undefined ? {} : { beforeCommit: options.beforeCommit }),
    ...(options.whileEnding === undefined ? {} : { whileEnding: options.whileEnding }),
    ...(options.answerLost === undefined ? {} : { answerLost: options.answerLost }),
  });
  const metrics = createPipelineMetrics('runner-test');
  const output = capturedOutput();
  const runner = new Runner({
    consumer: consumer.asConsumer(),
    sink,
    scoreBatch: options.scoreBatch?.(scoreBatch) ?? scoreBatch,
    window: { maxRecords: 10, maxWaitMs: 20 },
    topics: ['labels', 'input'],
    labelsTopic: 'labels',
    batchIdPrefix: 'test',
    log: createLogger({ name: 'runner-test', level: 'info', destination: output.stream }),
    metrics,
    clock: options.clock ?? (() => Date.now()),
    timeOf: options.timeOf ?? fakeTimes,
    ...(options.membershipLeaseMs === undefined ? {} : { membershipLeaseMs: options.membershipLeaseMs }),
    // The tests' clock jumps stand for heartbeats the coordinator did not answer, not for this process standing still.
    stallDetection: { stallMs: Number.POSITIVE_INFINITY, graceMs: 0 },
    alignment: {
      policy: { labelDelayMs: 7 * DAY_MS, latenessMs: DAY_MS },
      store: options.watermarks ?? memoryWatermarks(),
      inputKeys: ['input:0', 'input:1'],
      labelKeys: ['labels:0'],
      caughtUp: options.caughtUp,
      endOffsets: options.endOffsets ?? (() => consumer.endOffsets()),
    },
  });
  let fatal: unknown;
  void runner.failed.then((error) => (fatal = error));
  /** Whether the runner logged a line containing `text`. */
  const logged = (text: string) => output.text().includes(text);
  return { consumer, runner, committed, replayableFrom, metrics, fatal: () => fatal, logged };
}

async function alignErrors(metrics: ReturnType<typeof createPipelineMetrics>): Promise<number> {
  const { values } = await metrics.errors.get();
  return values.filter((v) => v.labels['stage'] === 'align').reduce((sum, v) => sum + v.value, 0);
}

describe('Runner: the caught-up check at assignment (issue 9, item 9)', () => {
  it('a check that fails is retried: records held back meanwhile go once it answers, each committed once', async () => {
    let calls = 0;
    const { consumer, runner, committed, metrics, fatal } = setUp({
      // Fails three times (the broker unreachable), then answers: input:1 and labels:0 are empty and read to the end.
      caughtUp: async () => {
        calls++;
        if (calls <= 3) throw new Error('connect ECONNREFUSED 127.0.0.1:29092');
        return new Map([
          ['input:1', 0],
          ['labels:0', 0],
        ]);
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      // input:0 has records; input:1 and the labels partition are empty, so they are never fetched: only the check can
      // say they hold nothing back.
      await consumer.deliver('input', 0, 0, [T0, T0 + 1_000, T0 + 2_000, T0 + 3_000, T0 + 4_000], 5);
      await until('the check failing once', () => calls >= 2);
      assert.deepEqual(committed, [], 'nothing is featurised while an assigned partition is unknown');

      await until('all five records committed', () => committed.length >= 5);
      assert.equal(calls, 4, 'the check was retried until it answered');
      assert.equal(await alignErrors(metrics), 3, 'each failed check counted as an error of the align stage');
      assert.deepEqual(committed, ['input:0@0', 'input:0@1', 'input:0@2', 'input:0@3', 'input:0@4']);
      assert.equal(fatal(), undefined, 'a failed check is not fatal');
    } finally {
      await runner.stop(); // also when an assertion failed: a running runner would keep the test process alive
    }
  });

  it('a retry for a previous assignment ends when the group rebalances: the new assignment checks for itself', async () => {
    let stale = 0;
    const { consumer, runner, committed, fatal } = setUp({
      // Fails for the first assignment only (a coordinator still loading, say), for as long as it is asked.
      caughtUp: async (assignment) => {
        if (!assignment['input']?.includes(1)) {
          stale++;
          throw new Error("The coordinator is loading and hence can't process requests");
        }
        return new Map([
          ['input:0', 0],
          ['input:1', 0],
          ['labels:0', 0],
        ]);
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0], labels: [0] });
      await until('the first assignment failing twice', () => stale >= 2);
      consumer.join({ input: [0, 1], labels: [0] });
      const staleAtRejoin = stale;
      await consumer.deliver('input', 0, 0, [T0], 1);
      await until('the record committed', () => committed.length === 1);
      await sleep(1_500); // longer than the stale retry's back-off twice over
      assert.ok(
        stale <= staleAtRejoin + 1,
        `the old assignment was asked ${stale - staleAtRejoin} times after the rejoin`,
      );
      assert.deepEqual(committed, ['input:0@0']);
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop(); // also when an assertion failed: a running runner would keep the test process alive
    }
  });
});

describe('Runner: a partition read to its end holds nothing back only while it still ends there', () => {
  it('a transaction waits for a label produced before it and not fetched yet, on a live stream', async () => {
    const { consumer, runner, committed, fatal } = setUp({
      // Every partition empty and read to its end when assigned.
      caughtUp: async () =>
        new Map([
          ['input:0', 0],
          ['input:1', 0],
          ['labels:0', 0],
        ]),
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      // A label reported at T0 reaches the labels topic, then a transaction at T0 + 1 s reaches input:0 and is fetched
      // first (another fetch response, another worker's partition): the labels partition was read to its end before.
      consumer.produced('labels', 0, 1);
      await consumer.deliver('input', 0, 0, [T0 + 1_000], 1);
      await sleep(200);
      assert.deepEqual(committed, [], 'the transaction waits: the labels partition no longer ends where it was read');

      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('both committed', () => committed.length >= 2);
      assert.deepEqual(committed, ['labels:0@0', 'input:0@0'], 'the label is in the state first');

      // Nothing produced since: the claims hold, and a later transaction goes at once.
      await consumer.deliver('input', 1, 0, [T0 + 2_000], 1);
      await until('the next transaction committed', () => committed.length >= 3);
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop(); // also when an assertion failed: a running runner would keep the test process alive
    }
  });
});

describe('Runner: batches scored and not yet committed', () => {
  it('keep their oldest event time in every later scoring call until their commit ends', async () => {
    let releaseFirstCommit!: () => void;
    const firstCommitHeld = new Promise<void>((resolve) => (releaseFirstCommit = resolve));
    let commits = 0;
    const { consumer, runner, committed, replayableFrom, fatal } = setUp({
      caughtUp: async () =>
        new Map([
          ['input:1', 0],
          ['labels:0', 0],
        ]),
      beforeCommit: () => (++commits === 1 ? firstCommitHeld : undefined),
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      // Twelve records in one fetch: the first batch takes ten (its oldest at T0), the second the last two, scored
      // while the first batch's commit is held (the fetch loop itself waits for a commit under way).
      const times = [T0 + 5_000, T0, ...Array.from({ length: 10 }, (_, i) => T0 + 10_000 + i * 1_000)];
      await consumer.deliver('input', 0, 0, times, 12);
      await until('the second batch scored', () => replayableFrom.length >= 2);
      assert.deepEqual(committed, [], 'the first commit is still held');
      assert.deepEqual(
        replayableFrom,
        [Number.POSITIVE_INFINITY, T0],
        'the first batch oldest record, while uncommitted',
      );

      releaseFirstCommit();
      await until('both batches committed', () => committed.length >= 12);
      await consumer.deliver('input', 0, 12, [T0 + 30_000], 13);
      await until('the third batch committed', () => committed.length >= 13);
      assert.equal(replayableFrom[2], Number.POSITIVE_INFINITY, 'nothing uncommitted once both commits ended');
      assert.equal(fatal(), undefined);
    } finally {
      releaseFirstCommit(); // a held commit would hold the stop
      await runner.stop(); // also when an assertion failed: a running runner would keep the test process alive
    }
  });
});

describe('Runner: end offsets that do not answer', () => {
  it('hold a batch back for at most their timeout, are counted, and a claim is not used without them', async () => {
    let asked = 0;
    const { consumer, runner, committed, metrics, fatal } = setUp({
      caughtUp: async () =>
        new Map([
          ['input:0', 0],
          ['input:1', 0],
          ['labels:0', 0],
        ]),
      endOffsets: () => {
        asked++;
        return new Promise<never>(() => undefined); // a broker that never answers
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      // Labels never wait for alignment: their batch goes once the end-offset read has timed out.
      const startedAt = Date.now();
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('the label committed', () => committed.length >= 1, 5_000);
      assert.ok(Date.now() - startedAt < 4_000, `committed after ${Date.now() - startedAt} ms`);
      assert.ok(asked >= 1, 'the end offsets were asked for: the labels partition claims to be read to its end');
      assert.ok((await alignErrors(metrics)) >= 1, 'the timeout counted as an error of the align stage');

      // A transaction relying on the claim waits: without end offsets nobody knows the partition still ends there.
      await consumer.deliver('input', 0, 0, [T0 + 1_000], 1);
      await sleep(300);
      assert.deepEqual(committed, ['labels:0@0']);
      assert.equal(fatal(), undefined, 'not fatal');
    } finally {
      await runner.stop(); // also when an assertion failed: a running runner would keep the test process alive
    }
  });
});

/**
 * A worker whose first labels (offsets 0 and 1 of labels:0, which holds `end` records) arrive while the registry does
 * not answer, and whose decode retry's heartbeat then times out: a request timeout, not a rebalance, so kafkajs does
 * not rejoin and its position is past these records. They are given back; the registry answers again.
 */
async function givenBackWhileDecoding(end: number) {
  let registryDown = true;
  const started = setUp({
    caughtUp: async () =>
      new Map([
        ['input:0', 0],
        ['input:1', 0],
        ['labels:0', 0],
      ]),
    timeOf: async (records) => {
      if (registryDown) throw new Error('schema registry did not answer');
      return fakeTimes(records);
    },
  });
  const { consumer, runner, logged } = started;
  await runner.start();
  try {
    consumer.join({ input: [0, 1], labels: [0] });
    consumer.heartbeat();
    await consumer.deliver('labels', 0, 0, [T0, T0 + 1], end, async () => {
      registryDown = false;
      throw new Error('Request heartbeat(key: 12, version: 3) timed out');
    });
    assert.ok(logged('heartbeat failed while decoding was retried'), 'the give-back is logged');
  } catch (error) {
    await runner.stop();
    throw error;
  }
  return started;
}

describe('Runner: a heartbeat that fails while decoding is retried', () => {
  it('gives the records back: once a heartbeat answers they are sought and read again, each committed once', async () => {
    const { consumer, runner, committed, fatal } = await givenBackWhileDecoding(2);
    try {
      assert.deepEqual(committed, []);
      consumer.heartbeat();
      assert.deepEqual(
        consumer.seeks.map((s) => `${s.topic}:${s.partition}@${s.offset}`),
        ['labels:0@0'],
        'sought back to the first record handed over',
      );
      await consumer.deliver('labels', 0, 0, [T0, T0 + 1], 2);
      await until('both records committed', () => committed.length >= 2);
      await sleep(100);
      assert.deepEqual(committed, ['labels:0@0', 'labels:0@1'], 'each committed once');
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });
});

/** kafkajs's own protocol errors and retrier (absent from its type declarations), to make errors as it makes them. */
const kafkajsInternals = createRequire(import.meta.url);
const { createErrorFromCode } = kafkajsInternals('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error & { type: string };
};
const createRetry = kafkajsInternals('kafkajs/src/retry/index.js') as (options: {
  retries: number;
  initialRetryTime?: number;
}) => (operation: () => Promise<never>) => Promise<never>;

/** What kafkajs's retrier rejects with after an operation that fails with the protocol error of `code`. */
async function throughKafkajsRetrier(code: number): Promise<unknown> {
  return createRetry({ retries: 0, initialRetryTime: 1 })(async () => {
    throw createErrorFromCode(code);
  }).catch((error: unknown) => error);
}

describe('Runner: a stop while the event-time bounds cannot be exchanged (Redis down)', () => {
  it('ends: nothing was taken, so the waiting records are left uncommitted for the next owner, and it is not fatal', async () => {
    let redisDown = false;
    let exchanges = 0;
    const watermarks = memoryWatermarks();
    const { consumer, runner, committed, fatal, logged } = setUp({
      caughtUp: async () => new Map([['labels:0', 0]]),
      watermarks: {
        readAll: () => watermarks.readAll(),
        exchange: async (own) => {
          if (!redisDown) return watermarks.exchange(own);
          exchanges++;
          throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        },
      },
    });
    await runner.start();
    let stopped = false;
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      redisDown = true;
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('a batch retrying the exchange', () => logged('batch failed; retrying'));
      const stop = runner.stop().then(() => (stopped = true));
      await until('the stop', () => stopped, 3_000);
      await stop;
      assert.ok(exchanges >= 1);
      assert.deepEqual(committed, [], 'nothing was taken, so nothing is committed');
      assert.ok(logged('left for the next owner (shutdown)'), 'the waiting records are given back');
      assert.equal(fatal(), undefined, 'a stop is not an error');
    } finally {
      if (!stopped) {
        redisDown = false; // lets the stop end, so that a failed assertion does not keep the test process alive
        await runner.stop();
      }
    }
  });
});

describe('Runner: a fenced producer', () => {
  it('is fatal also when kafkajs hands the protocol error on wrapped (its retrier gives up on it)', async () => {
    const fenced = createErrorFromCode(47);
    assert.equal(fenced.type, 'INVALID_PRODUCER_EPOCH');
    assert.equal(isFatal(fenced), true);
    const wrapped = await throughKafkajsRetrier(47);
    assert.equal((wrapped as Error).name, 'KafkaJSNonRetriableError');
    assert.equal((wrapped as { type?: string }).type, undefined, 'the wrapper carries no type of its own');
    assert.equal(isFatal(wrapped), true);
    // A timeout retried to the end is not fatal: the batch is retried.
    assert.equal(isFatal(await throughKafkajsRetrier(7)), false);
    assert.equal(isFatal(new Error('Request timed out')), false);
  });
});

describe('Runner: a give-back and the commits around it', () => {
  it('commits nothing fetched after a give-back until its seeks are made: the given-back records would be skipped', async () => {
    const { consumer, runner, committed, fatal } = await givenBackWhileDecoding(4);
    try {
      // kafkajs's position is past offsets 0 and 1: its next fetch brings 2 and 3, before any heartbeat answers.
      await consumer.deliver('labels', 0, 2, [T0 + 2, T0 + 3], 4);
      await sleep(200); // no batch is formed before the seeks are made
      assert.deepEqual(committed, [], 'offsets 2 and 3 committed would skip 0 and 1');
      consumer.heartbeat();
      assert.deepEqual(
        consumer.seeks.map((s) => `${s.topic}:${s.partition}@${s.offset}`),
        ['labels:0@0'],
      );
      await consumer.deliver('labels', 0, 0, [T0, T0 + 1, T0 + 2, T0 + 3], 4);
      await until('every record committed', () => committed.length >= 4);
      await sleep(100);
      assert.deepEqual(committed, ['labels:0@0', 'labels:0@1', 'labels:0@2', 'labels:0@3'], 'each committed once');
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });

  it('a give-back while a commit that got no answer is retried waits for it: a commit that landed is not read again', async () => {
    let lost = 1;
    // Then the commit lands and its answer is lost.
    const started = giveBackWhileEnding({ answerLost: () => lost-- > 0 });
    const { consumer, runner, committed, fatal, logged } = started;
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      consumer.heartbeat();
      await consumer.deliver('labels', 0, 0, [T0, T0 + 1], 2);
      await until('the commit retried', () => logged('batch failed; retrying'));
      consumer.heartbeat(); // during the retry's back-off: the commit is in doubt
      assert.equal(consumer.seeks.length, 0, 'no seek while the commit is in doubt');
      await until('the commit settled', () => logged('had landed'));
      await started.gaveBack();
      consumer.heartbeat();
      assert.deepEqual(
        consumer.seeks.map((s) => `${s.topic}:${s.partition}@${s.offset}`).sort(),
        ['input:0@0', 'labels:0@2'],
        'the labels are sought to after their landed commit, the given-back input record to itself',
      );
      started.registry.down = false;
      await consumer.deliver('input', 0, 0, [T0], 1);
      await consumer.deliver('input', 1, 0, [T0 + 500], 1);
      await until('every record committed', () => committed.length >= 4);
      await sleep(100);
      assert.deepEqual(
        [...committed].sort(),
        ['input:0@0', 'input:1@0', 'labels:0@0', 'labels:0@1'],
        'each committed once',
      );
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });

  it('a give-back while a commit ends never seeks behind that commit: its records are not scored twice', async () => {
    let heartbeats = 0;
    // A heartbeat answered meanwhile must not apply its seeks yet.
    const started = giveBackWhileEnding({
      afterGiveBack: () => {
        started.consumer.heartbeat();
        heartbeats++;
      },
    });
    const { consumer, runner, committed, fatal } = started;
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      consumer.heartbeat();
      await consumer.deliver('labels', 0, 0, [T0, T0 + 1], 2);
      await until('the labels committed', () => committed.length >= 2);
      await started.gaveBack();
      assert.equal(heartbeats, 1);
      assert.equal(consumer.seeks.length, 0, 'no seek while the commit was under way');
      consumer.heartbeat();
      assert.deepEqual(
        consumer.seeks.map((s) => `${s.topic}:${s.partition}@${s.offset}`).sort(),
        ['input:0@0', 'labels:0@2'],
        'the labels are sought to after their commit, the given-back input record to itself',
      );
      started.registry.down = false;
      await consumer.deliver('input', 0, 0, [T0], 1);
      await consumer.deliver('input', 1, 0, [T0 + 500], 1);
      await until('every record committed', () => committed.length >= 4);
      await sleep(100);
      assert.deepEqual(
        [...committed].sort(),
        ['input:0@0', 'input:1@0', 'labels:0@0', 'labels:0@1'],
        'each committed once',
      );
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });
});

describe('Runner: a commit under way when a rebalance is announced', () => {
  it('goes on holding the fetch loop until the commit ends: kafkajs must not rejoin while the transaction ends', async () => {
    let endCommit = (): void => undefined;
    const ending = new Promise<void>((resolve) => (endCommit = resolve));
    let commitsEnding = 0;
    const { consumer, runner, committed, fatal } = setUp({
      caughtUp: async () => new Map([['labels:0', 0]]),
      whileEnding: async () => {
        commitsEnding++;
        await ending;
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      consumer.heartbeat();
      await consumer.deliver('labels', 0, 0, [T0], 2);
      await until('the commit under way', () => commitsEnding === 1);
      // The next fetch's handler holds the fetch loop for the commit; then kafkajs announces a rebalance.
      let returned = false;
      const held = consumer.deliver('labels', 0, 1, [T0 + 1], 2).then(() => (returned = true));
      await sleep(50);
      consumer.rebalancing();
      await sleep(300);
      assert.equal(returned, false, 'the handler returned (kafkajs may rejoin) while the transaction was ending');
      endCommit();
      await held;
      assert.deepEqual(committed, ['labels:0@0']);
      assert.equal(fatal(), undefined);
    } finally {
      endCommit();
      await runner.stop();
    }
  });
});

/** The consumer-lag series the runner exports, as "<topic>:<partition>=<lag>", sorted. */
async function lagSeries(metrics: ReturnType<typeof createPipelineMetrics>): Promise<string[]> {
  const { values } = await metrics.consumerLag.get();
  return values.map((v) => `${v.labels['topic']}:${v.labels['partition']}=${v.value}`).sort();
}

describe('Runner: consumer lag across a rebalance', () => {
  it('drops the lag series of a partition the new assignment moved to another worker, keeps the others', async () => {
    const { consumer, runner, metrics } = setUp({ caughtUp: async () => new Map([['labels:0', 0]]) });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      // Each fetch one record, far from the partition's end.
      await consumer.deliver('input', 0, 0, [T0], 500);
      await consumer.deliver('input', 1, 0, [T0], 700);
      assert.deepEqual(await lagSeries(metrics), ['input:0=499', 'input:1=699']);

      // Scale-out: another worker takes input:1.
      consumer.join({ input: [0], labels: [0] });
      assert.deepEqual(
        await lagSeries(metrics),
        ['input:0=499'],
        "input:1 is another worker's now: its last lag here would be summed with the owner's for ever",
      );
    } finally {
      await runner.stop();
    }
  });
});

describe('Runner: readiness and liveness', () => {
  const MINUTE_MS = 60_000;

  it('a batch retried for minutes (feature state behind, an outage) is not ready but alive, and ready once it commits', async () => {
    let skew = 0;
    let behind = true;
    let attempts = 0;
    const { consumer, runner, committed } = setUp({
      clock: () => Date.now() + skew,
      caughtUp: async () => new Map([['labels:0', 0]]),
      scoreBatch: (score) => async (batch, batchId, replayableFromMs) => {
        attempts++;
        if (behind) throw new Error('feature state is behind the input: partition 0 absorbed 0, expected at least 7');
        return score(batch, batchId, replayableFromMs);
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('the batch retried', () => attempts >= 2);
      skew += 10 * MINUTE_MS; // ten minutes of retries
      const before = attempts;
      await until('one more retry', () => attempts > before);
      assert.match(runner.unhealthyReason() ?? '', /no commit for \d+ s: score: feature state is behind/);
      assert.equal(runner.wedgedReason(), null, 'retrying is progress: a restart would not help, only move partitions');

      behind = false; // `fraudscore state rebuild` ran
      await until('the label committed', () => committed.length === 1);
      assert.equal(runner.unhealthyReason(), null);
      assert.equal(runner.wedgedReason(), null);
    } finally {
      behind = false;
      await runner.stop();
    }
  });

  it('waiting for records is never wedged; a step that hangs without even a retry is not ready after 30 s, wedged after 5 minutes', async () => {
    let skew = 0;
    let calls = 0;
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const { consumer, runner, committed } = setUp({
      clock: () => Date.now() + skew,
      caughtUp: async () => new Map([['labels:0', 0]]),
      scoreBatch: (score) => async (batch, batchId, replayableFromMs) => {
        calls++;
        await hung; // a request that never answers, and no timeout
        return score(batch, batchId, replayableFromMs);
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      skew += 60 * MINUTE_MS; // an hour without traffic
      assert.equal(runner.wedgedReason(), null, 'idle is not wedged');

      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('the batch being scored', () => calls === 1);
      assert.equal(runner.unhealthyReason(), null, 'a step just begun');
      skew += MINUTE_MS;
      assert.match(runner.unhealthyReason() ?? '', /batch loop stuck in score for 6\d s without progress/);
      assert.equal(runner.wedgedReason(), null, 'not ready is not wedged');
      skew += 3 * MINUTE_MS;
      assert.equal(runner.wedgedReason(), null, 'a long step is not wedged yet');
      skew += 2 * MINUTE_MS;
      assert.match(runner.wedgedReason() ?? '', /batch loop stuck in score for 36\d s without progress/);

      release();
      await until('the label committed', () => committed.length === 1);
      assert.equal(runner.wedgedReason(), null, 'moving again');
      assert.equal(runner.unhealthyReason(), null, 'ready again');
    } finally {
      release();
      await runner.stop();
    }
  });
});

/** What the runner logs when a commit finds the membership lease lapsed and gives everything uncommitted back. */
const GIVE_BACK = 'no heartbeat answered for over';

/**
 * A runner whose first transaction end meets a give-back: while it ends, input:0's record cannot be decoded (the
 * registry does not answer) and the heartbeat of its retry fails (no rebalance). `afterGiveBack` runs next, still
 * inside the transaction's end; `registry.down = false` lets the record be decoded again.
 */
function giveBackWhileEnding(options: { afterGiveBack?: () => void; answerLost?: () => boolean }) {
  const registry = { down: false };
  let gaveBack: Promise<void> | undefined;
  const started = setUp({
    caughtUp: async () => new Map([['labels:0', 0]]),
    timeOf: async (records) => {
      if (registry.down && records[0]?.topic === 'input') throw new Error('schema registry did not answer');
      return fakeTimes(records);
    },
    whileEnding: async () => {
      if (gaveBack) return;
      registry.down = true;
      gaveBack = started.consumer.deliver('input', 0, 0, [T0], 1, async () => {
        throw new Error('Request heartbeat(key: 12, version: 3) timed out');
      });
      await until('the give-back', () => started.logged('heartbeat failed while decoding was retried'));
      options.afterGiveBack?.();
    },
    ...(options.answerLost === undefined ? {} : { answerLost: options.answerLost }),
  });
  return { ...started, registry, gaveBack: async () => gaveBack };
}

describe('Runner: a give-back while alignment holds records back (issue 9, item 8)', () => {
  /**
   * A worker whose input:0 records wait behind input:1 (not read to its end, nothing fetched yet), their handlers
   * returned (kafkajs's position is past them); then no heartbeat is answered for longer than the lease (the clock
   * jumps), a label arrives (labels never wait) and its batch finds the membership lapsed: a give-back.
   */
  async function givenBack(inputTimes: number[]) {
    let skew = 0;
    const started = setUp({
      membershipLeaseMs: 1_000,
      clock: () => Date.now() + skew,
      caughtUp: async () => new Map([['labels:0', 0]]),
    });
    const { consumer, runner, committed, logged } = started;
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      consumer.heartbeat();
      await consumer.deliver('input', 0, 0, inputTimes, inputTimes.length);
      await sleep(100);
      assert.deepEqual(committed, [], 'input:0 is held back by alignment');
      skew += 2_000;
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('the give-back', () => logged(GIVE_BACK));
      assert.deepEqual(committed, [], 'a lapsed membership commits nothing');
    } catch (error) {
      await runner.stop();
      throw error;
    }
    return started;
  }

  it('seeks back to the first uncommitted offsets once a heartbeat confirms the membership, not before', async () => {
    const { consumer, runner, committed, fatal } = await givenBack([T0, T0 + 1_000, T0 + 2_000]);
    try {
      assert.equal(consumer.seeks.length, 0, 'no seek before the membership is confirmed');
      consumer.heartbeat();
      const seeks = consumer.seeks.map((s) => `${s.topic}:${s.partition}@${s.offset}`).sort();
      assert.deepEqual(
        seeks,
        ['input:0@0', 'labels:0@0'],
        'every partition read again from its first uncommitted offset',
      );

      // kafkajs reads again from there; input:1 catches up; everything goes, once.
      await consumer.deliver('input', 0, 0, [T0, T0 + 1_000, T0 + 2_000], 3);
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await consumer.deliver('input', 1, 0, [T0 + 500], 1);
      await until('every record committed', () => committed.length >= 5);
      assert.deepEqual(
        [...committed].sort(),
        ['input:0@0', 'input:0@1', 'input:0@2', 'input:1@0', 'labels:0@0'],
        'each record committed exactly once',
      );
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop(); // also when an assertion failed: a running runner would keep the test process alive
    }
  });

  it('records fetched between the give-back and the heartbeat are read again too, also from partitions not sought then', async () => {
    const { consumer, runner, committed, fatal } = await givenBack([T0]);
    try {
      // input:1 had nothing uncommitted at the give-back; its first records arrive before the membership is confirmed.
      await consumer.deliver('input', 1, 0, [T0 + 500], 1);
      consumer.heartbeat();
      const seeks = consumer.seeks.map((s) => `${s.topic}:${s.partition}@${s.offset}`).sort();
      assert.deepEqual(seeks, ['input:0@0', 'input:1@0', 'labels:0@0'], 'the rewind drops input:1@0 as well');

      await consumer.deliver('input', 0, 0, [T0], 1);
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await consumer.deliver('input', 1, 0, [T0 + 500], 1);
      await until('every record committed', () => committed.length >= 3);
      assert.deepEqual([...committed].sort(), ['input:0@0', 'input:1@0', 'labels:0@0'], 'each committed once');
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });

  it('a lease that lapses between its check and the commit itself (a standstill) commits nothing; the records are read again', async () => {
    let skew = 0;
    let standstills = 1;
    const { consumer, runner, committed, logged } = setUp({
      membershipLeaseMs: 1_000,
      clock: () => Date.now() + skew,
      caughtUp: async () => new Map([['labels:0', 0]]),
      beforeCommit: () => {
        if (standstills-- > 0) skew += 2_000;
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      consumer.heartbeat();
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('the give-back', () => logged(GIVE_BACK));
      assert.deepEqual(committed, [], 'the lease had lapsed by the commit itself: nothing committed');
      consumer.heartbeat();
      assert.deepEqual(
        consumer.seeks.map((s) => `${s.topic}:${s.partition}@${s.offset}`),
        ['labels:0@0'],
        'read again from where it was',
      );
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('the label committed', () => committed.length === 1);
      assert.deepEqual(committed, ['labels:0@0']);
    } finally {
      await runner.stop();
    }
  });

  it('a commit that landed without an answer while the lease lapsed is settled, not read again: one outcome per record', async () => {
    let skew = 0;
    let lost = 1;
    const { consumer, runner, committed, fatal, logged } = setUp({
      membershipLeaseMs: 1_000,
      clock: () => Date.now() + skew,
      caughtUp: async () => new Map([['labels:0', 0]]),
      // The first commit reaches the coordinator, its answer does not come back (a broker blip), and no heartbeat is
      // answered meanwhile: by the retry the lease has lapsed.
      answerLost: () => {
        if (lost-- <= 0) return false;
        skew += 2_000;
        return true;
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      consumer.heartbeat();
      await consumer.deliver('labels', 0, 0, [T0, T0 + 1, T0 + 2], 3);
      await until('the commit settled or given back', () => logged('had landed') || logged(GIVE_BACK));
      consumer.heartbeat();
      assert.equal(consumer.seeks.length, 0, 'a seek back to offset 0 would score the committed labels again');
      await consumer.deliver('labels', 0, 3, [T0 + 3], 4);
      await until('the next label committed', () => committed.length >= 4);
      await sleep(100);
      assert.deepEqual(committed, ['labels:0@0', 'labels:0@1', 'labels:0@2', 'labels:0@3'], 'each committed once');
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });

  it('forms no batch of records fetched between the give-back and the heartbeat: recorded, their trims would cut the given-back ones', async () => {
    const { consumer, runner, committed, replayableFrom, fatal } = await givenBack([T0]);
    try {
      const scored = replayableFrom.length;
      // kafkajs's position is past the given-back records: its next fetch brings what follows them.
      await consumer.deliver('labels', 0, 1, [T0 + 40 * DAY_MS], 2);
      await sleep(200);
      assert.equal(replayableFrom.length, scored, 'nothing scored (so nothing recorded) before the rewind');
      consumer.heartbeat();
      await consumer.deliver('input', 0, 0, [T0], 1);
      await consumer.deliver('labels', 0, 0, [T0, T0 + 40 * DAY_MS], 2);
      await consumer.deliver('input', 1, 0, [T0 + 500], 1);
      await until('every record committed', () => committed.length >= 4);
      assert.deepEqual([...committed].sort(), ['input:0@0', 'input:1@0', 'labels:0@0', 'labels:0@1']);
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });

  it('a batch given back keeps its oldest event time in later scoring calls until all its records are committed again', async () => {
    let skew = 0;
    let standstills = 1;
    const { consumer, runner, committed, replayableFrom, fatal, logged } = setUp({
      membershipLeaseMs: 1_000,
      clock: () => Date.now() + skew,
      caughtUp: async () => new Map([['labels:0', 0]]),
      beforeCommit: () => {
        if (standstills-- > 0) skew += 2_000;
      },
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      consumer.heartbeat();
      // Recorded (scored), then its commit finds the lease lapsed: given back.
      await consumer.deliver('labels', 0, 0, [T0 + 2_000, T0, T0 + 1_000], 3);
      await until('the give-back', () => logged(GIVE_BACK));
      consumer.heartbeat();
      // Read again in two batches: the first does not hold the oldest record, which the state must still serve.
      await consumer.deliver('labels', 0, 0, [T0 + 2_000], 3);
      await until('the first record committed again', () => committed.length >= 1);
      await consumer.deliver('labels', 0, 1, [T0, T0 + 1_000], 3);
      await until('all of them committed again', () => committed.length >= 3);
      await consumer.deliver('labels', 0, 3, [T0 + 3_000], 4);
      await until('the next record committed', () => committed.length >= 4);
      assert.deepEqual(
        replayableFrom,
        [Number.POSITIVE_INFINITY, T0, T0, Number.POSITIVE_INFINITY],
        "the given-back batch's oldest record bounds the trims until its records are all committed again",
      );
      assert.deepEqual(committed, ['labels:0@0', 'labels:0@1', 'labels:0@2', 'labels:0@3'], 'each committed once');
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });

  it('a rejoin before the heartbeat drops the pending seeks: the new generation reads from the committed offsets', async () => {
    const { consumer, runner, committed } = await givenBack([T0]);
    try {
      consumer.join({ input: [0], labels: [0] }); // expelled after all: kafkajs rejoined
      consumer.heartbeat();
      assert.equal(
        consumer.seeks.length,
        0,
        'a seek applied after the rejoin would replay what another member committed',
      );
      assert.deepEqual(committed, []);
    } finally {
      await runner.stop();
    }
  });
});

const EVENTS = { GROUP_JOIN: 'join', HEARTBEAT: 'heartbeat', REBALANCING: 'rebalancing', CRASH: 'crash' } as const;

/** Just what Runner.start touches of a kafkajs consumer: events, subscribe, run (never fetching anything). */
function stubConsumer(overrides: Partial<Pick<Consumer, 'subscribe' | 'disconnect'>> = {}): {
  consumer: Consumer;
  emit: (event: string, payload: unknown) => void;
} {
  const emitter = new EventEmitter();
  const consumer = {
    events: EVENTS,
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    subscribe: async () => undefined,
    run: async () => undefined,
    disconnect: async () => undefined,
    ...overrides,
  } as unknown as Consumer;
  return { consumer, emit: (event, payload) => emitter.emit(event, { payload }) };
}

function runnerWith(consumer: Consumer, sink: Partial<TransactionalSink> = {}): Runner {
  return new Runner({
    consumer,
    sink: { disconnect: async () => undefined, ...sink } as unknown as TransactionalSink,
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

/** What kafkajs reports when no broker told it the group's coordinator (a broker restarting). */
const coordinatorLost = () =>
  Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound' });

/** A stub consumer whose runs are counted (and may be held by `onRun`). */
function countingRuns(onRun: (run: number) => Promise<void> = async () => undefined) {
  const stub = stubConsumer();
  const counted = { ...stub, runs: 0 };
  (stub.consumer as { run: () => Promise<void> }).run = () => onRun(++counted.runs);
  return counted;
}

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

  it('runs the consumer again when kafkajs stopped it for want of its coordinator (a broker restarting)', async () => {
    const stub = countingRuns();
    const runner = runnerWith(stub.consumer);
    await runner.start();
    assert.equal(stub.runs, 1);
    stub.emit(EVENTS.CRASH, { error: coordinatorLost(), groupId: 'g', restart: false });
    assert.equal(await settled(runner.failed, 400), false, 'a broker restart ended the worker');
    assert.equal(stub.runs, 2, 'the consumer was not run again');
    assert.equal(runner.unhealthyReason(), null);
    await runner.stop();
    stub.emit(EVENTS.CRASH, { error: coordinatorLost(), groupId: 'g', restart: false });
    await new Promise((resolve) => setTimeout(resolve, 800)); // the second wait would be 500 ms
    assert.equal(stub.runs, 2, 'run again after the runner stopped');
  });

  it('is not ready while its consumer waits to run again, and is once it runs', async () => {
    const { consumer, emit } = stubConsumer();
    const runner = runnerWith(consumer);
    await runner.start();
    emit(EVENTS.CRASH, { error: coordinatorLost(), groupId: 'g', restart: false });
    assert.match(runner.unhealthyReason() ?? '', /lost its group coordinator .*an ACL/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(runner.unhealthyReason(), null);
    await runner.stop();
  });

  it('runs nothing again once stopping, and leaves the group only after a rerun already joining has joined', async () => {
    const events: string[] = [];
    let joined!: () => void;
    const stub = countingRuns(async (run) => {
      if (run !== 2) return;
      await new Promise<void>((resolve) => (joined = resolve));
      events.push('rerun joined');
    });
    (stub.consumer as { disconnect: () => Promise<void> }).disconnect = async () => {
      events.push('disconnect');
    };
    const runner = runnerWith(stub.consumer);
    await runner.start();
    stub.emit(EVENTS.CRASH, { error: coordinatorLost(), groupId: 'g', restart: false });
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(stub.runs, 2, 'the rerun started');
    const stopped = runner.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(events, [], 'disconnected while the rerun still joined: kafkajs would not leave the group');
    joined();
    await stopped;
    assert.deepEqual(events, ['rerun joined', 'disconnect']);
  });

  it('a crash during the drain is not run again: the consumer would rejoin only to leave', async () => {
    const stub = countingRuns();
    const runner = runnerWith(stub.consumer);
    await runner.start();
    const stopped = runner.stop();
    stub.emit(EVENTS.CRASH, { error: coordinatorLost(), groupId: 'g', restart: false });
    await stopped;
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(stub.runs, 1);
  });

  it('fails loudly when a reader it depends on gives up (failWith)', async () => {
    const { consumer } = stubConsumer();
    const runner = runnerWith(consumer);
    await runner.start();
    const error = new Error('the reader of t.control stopped for good');
    runner.failWith('control', error);
    assert.equal(await settled(runner.failed, 2_000), true, 'the runner did not fail');
    assert.equal(await runner.failed, error);
    assert.match(runner.unhealthyReason() ?? '', /fatal: the reader of t.control stopped for good/);
    assert.match(runner.wedgedReason() ?? '', /fatal/);
    await runner.stop();
  });

  it('fails loudly when it cannot start (subscribe rejects): it would otherwise look healthy and never consume', async () => {
    const error = new Error(
      'There is no leader for this topic-partition as we are in the middle of a leadership election',
    );
    const { consumer } = stubConsumer({ subscribe: () => Promise.reject(error) });
    const runner = runnerWith(consumer);
    await assert.rejects(runner.start(), (thrown) => thrown === error);
    assert.equal(await settled(runner.failed, 2_000), true, 'the runner did not fail');
    assert.equal(await runner.failed, error);
    assert.match(runner.unhealthyReason() ?? '', /^fatal: There is no leader/);
    assert.match(runner.wedgedReason() ?? '', /^fatal: /);
    await runner.stop();
  });

  it('one stop for every caller: a second stop() waits for the first to leave the group', async () => {
    let leave!: () => void;
    const left = new Promise<void>((resolve) => (leave = resolve));
    const { consumer } = stubConsumer({ disconnect: () => left });
    const runner = runnerWith(consumer);
    await runner.start();
    const first = runner.stop();
    const second = runner.stop();
    assert.equal(await settled(second, 100), false, 'the second stop returned while the first still disconnects');
    leave();
    await Promise.all([first, second]);
  });

  it('closes the producer when leaving the group fails, and says the stop failed', async () => {
    const { consumer } = stubConsumer({ disconnect: async () => Promise.reject(new Error('coordinator unreachable')) });
    let producerClosed = false;
    const runner = runnerWith(consumer, {
      disconnect: async () => {
        producerClosed = true;
      },
    });
    await runner.start();
    await assert.rejects(runner.stop(), /coordinator unreachable/);
    assert.equal(producerClosed, true, 'the transactional producer is left open');
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

describe('Runner: a partition whose log ends in a transaction marker', () => {
  it('is read to its end once the marker is fetched, though kafkajs hands no records on: batches go on', async () => {
    const { consumer, runner, committed, fatal } = setUp({
      // input:1 is empty; labels:0 holds labels 0..9 and the commit marker at 10 (end 11), and the group committed 10
      // (the last label + 1): the check cannot tell the marker from a label not yet read, so it does not say "at its end".
      caughtUp: async () => new Map([['input:1', 0]]),
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      await consumer.deliver('input', 0, 0, [T0, T0 + 1_000, T0 + 2_000], 3);
      await sleep(300);
      assert.deepEqual(committed, [], 'held back while nothing is known of labels:0');

      consumer.deliverWithoutRecords('labels', 0, 10, 11); // kafkajs reads the marker from the committed offset
      await until('the input records committed', () => committed.length >= 3, 3_000);
      assert.deepEqual(committed, ['input:0@0', 'input:0@1', 'input:0@2']);
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop(); // also when an assertion failed: a running runner would keep the test process alive
    }
  });

  it('follows kafkajs past markers: an aborted tail after a fetch that ended in a commit marker counts too', async () => {
    const { consumer, runner, committed, fatal } = setUp({ caughtUp: async () => new Map([['input:1', 0]]) });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      // Labels 0..9 and their commit marker at 10 in one fetch (kafkajs reads on from 11), committed.
      const labels = Array.from({ length: 10 }, () => T0 - 3_600_000);
      await consumer.deliver('labels', 0, 0, labels, 11, undefined, 1);
      await until('the labels committed', () => committed.length >= 10, 3_000);
      // An upstream transaction is aborted: records 11..15 and the abort marker at 16, nothing to hand on, not in one
      // fetch: 11..13 first (not at the end), then 14..16.
      consumer.deliverWithoutRecords('labels', 0, 11, 17, 13);
      consumer.deliverWithoutRecords('labels', 0, 14, 17);
      await consumer.deliver('input', 0, 0, [T0], 1);
      await until('the transaction committed', () => committed.includes('input:0@0'), 3_000);
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });

  it('keeps nothing fetched while records given back wait for their seeks: its bound would rise above them', async () => {
    let skew = 0;
    const watermarks = memoryWatermarks();
    const { consumer, runner, logged } = setUp({
      membershipLeaseMs: 1_000,
      clock: () => Date.now() + skew,
      watermarks,
      caughtUp: async () => new Map([['labels:0', 0]]),
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      consumer.heartbeat();
      await consumer.deliver('input', 0, 0, [T0], 1); // held back: nothing is known of input:1
      await sleep(300);
      skew += 2_000;
      await consumer.deliver('labels', 0, 0, [T0], 1);
      await until('the give-back', () => logged(GIVE_BACK));
      // No heartbeat answered yet: input:0@0 waits to be sought, and kafkajs fetches on past it.
      await consumer.deliver('input', 0, 1, [T0 + 10 * DAY_MS], 2);
      await sleep(600);
      const bound = (await watermarks.readAll()).get('input:0');
      assert.ok(
        bound === undefined || (bound.lowerBoundMs <= T0 && (bound.atEnd?.lowerBoundMs ?? T0) <= T0),
        `input:0 published above its record waiting to be read again: ${JSON.stringify(bound)}`,
      );
    } finally {
      await runner.stop();
    }
  });

  it('a marker fetched before a seek back does not say so: the records given back are read first', async () => {
    let skew = 0;
    const { consumer, runner, committed, logged, fatal } = setUp({
      membershipLeaseMs: 1_000,
      clock: () => Date.now() + skew,
      caughtUp: async () => new Map([['input:1', 0]]),
    });
    await runner.start();
    try {
      consumer.join({ input: [0, 1], labels: [0] });
      await sleep(50);
      consumer.heartbeat();
      // Two labels, then the marker at 2 (end 3) in a later fetch; their batch finds the membership lapsed.
      skew += 2_000;
      await consumer.deliver('labels', 0, 0, [T0 - 3_600_000, T0 - 3_600_000], 3);
      await until('the give-back', () => logged(GIVE_BACK));
      consumer.heartbeat();
      assert.deepEqual(
        consumer.seeks.map((s) => `${s.topic}:${s.partition}@${s.offset}`),
        ['labels:0@0'],
      );
      // The marker of the fetch made before the seek is handled after it: from offset 2 on, while 0 and 1 are to be
      // read again. Were labels:0 taken as read to its end, the transaction would be featurised without them.
      consumer.deliverWithoutRecords('labels', 0, 2, 3);
      await consumer.deliver('input', 0, 0, [T0], 1);
      await sleep(300);
      assert.deepEqual(committed, [], 'the transaction waits for the labels read again');

      await consumer.deliver('labels', 0, 0, [T0 - 3_600_000, T0 - 3_600_000], 3);
      consumer.deliverWithoutRecords('labels', 0, 2, 3);
      await until('everything committed', () => committed.length >= 3);
      assert.deepEqual(committed, ['labels:0@0', 'labels:0@1', 'input:0@0'], 'the labels are in the state first');
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });
});

describe('Runner: the intake while event-time alignment holds everything back', () => {
  /**
   * This worker owns input:0 and labels:0; input:1 belongs to another worker 30 days behind (a lagging or paused
   * worker), so input:0's records all wait, and kafkajs goes on fetching while they do.
   */
  async function backlogHeldBack() {
    const watermarks = memoryWatermarks();
    await watermarks.exchange(new Map([['input:1', { lowerBoundMs: T0 - 30 * DAY_MS }]]));
    const started = setUp({ watermarks, caughtUp: async () => new Map([['labels:0', 0]]) });
    const { consumer, runner } = started;
    await runner.start();
    consumer.join({ input: [0], labels: [0] });
    await sleep(50);
    // A backlog: 50 fetches of 10 records (capacity: two batches of 10), an hour of event time apart each.
    for (let fetch = 0; fetch < 50; fetch++) {
      const times = Array.from({ length: 10 }, (_, i) => T0 + (fetch * 10 + i) * 360_000);
      await consumer.deliver('input', 0, fetch * 10, times, 100_000);
    }
    return { ...started, watermarks };
  }

  it('pauses a partition holding its share, publishes its bound as before, and resumes it once it is taken from', async () => {
    const { consumer, runner, committed, watermarks, fatal } = await backlogHeldBack();
    try {
      await until('input:0 paused', () => consumer.paused.has('input:0'), 2_000);
      assert.ok(!consumer.paused.has('labels:0'), 'labels are never paused');
      const bound = (await watermarks.readAll()).get('input:0');
      assert.equal(bound?.lowerBoundMs, T0, "the paused partition's bound is what it holds, not unknown");
      assert.deepEqual(committed, []);

      // The other worker catches up: input:0's records go, and its partition is read again.
      await watermarks.exchange(new Map([['input:1', { lowerBoundMs: T0 + 365 * DAY_MS }]]));
      await until('every record committed', () => committed.length === 500);
      await until('input:0 resumed', () => !consumer.paused.has('input:0'));
      assert.equal(fatal(), undefined);
    } finally {
      await runner.stop();
    }
  });

  it('resumes every paused partition when the records are given back (here: a stop), not only on a rebalance', async () => {
    const { consumer, runner } = await backlogHeldBack();
    try {
      await until('input:0 paused', () => consumer.paused.has('input:0'), 2_000);
    } finally {
      await runner.stop();
    }
    assert.deepEqual([...consumer.paused], []);
  });

  it('resumes every paused partition when the group rebalances: kafkajs would keep the pause', async () => {
    const { consumer, runner } = await backlogHeldBack();
    try {
      await until('input:0 paused', () => consumer.paused.has('input:0'), 2_000);
      consumer.rebalancing();
      assert.deepEqual([...consumer.paused], []);
    } finally {
      await runner.stop();
    }
  });
});
