import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { createLogger } from '../../src/adapters/observability/logger.js';
import { readContractSchema } from '../../src/adapters/registry/contract-schemas.js';
import { createPipeline, type PipelineContext } from '../../src/runtime/context.js';
import { validEvents } from '../support/events.js';
import {
  createTopics,
  deleteTopics,
  testKafka,
  testProducer,
  testTopology,
  type TestProducer,
} from '../support/stack.js';
import { ConnectionLimit } from '../support/drill/connection-limit.js';
import { accountOutcomes } from '../support/drill/outcomes.js';
import { GroupWatch } from '../support/drill/progress.js';
import { StackControl } from '../support/drill/stack-control.js';

const PARTITIONS = 4;
/** Never written to: only the caught-up check can say it is read to its end (so are the labels topic's). */
const EMPTY_PARTITION = PARTITIONS - 1;
/** Records waiting before the worker joins (the stall holds them), and records fed after it recovered. */
const BEFORE = 300;
const AFTER = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(100);
  }
}

/** fraudscore_errors_total{stage="align"} from the worker's /metrics endpoint. */
async function alignErrors(metricsAddress: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('fraudscore_errors_total{') && l.includes('stage="align"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** The worker's log lines (JSON), kept for the checks; warnings and errors are echoed for the reader. */
function captureLog(): { stream: Writable; messages: string[] } {
  const messages: string[] = [];
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { level?: number; msg?: string };
          messages.push(entry.msg ?? '');
          if ((entry.level ?? 0) >= 40) process.stdout.write(`worker: ${line}\n`);
        } catch {
          messages.push(line);
        }
      }
      done();
    },
  });
  return { stream, messages };
}

/** Keyed records on every input partition but the empty one; every 50th a hostile one (a dead letter). */
async function feed(producer: TestProducer, topic: string, prefix: string, count: number, startMs: number) {
  const events = validEvents(count, prefix, startMs);
  const partitionOf = (customer: string) =>
    [...customer].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) >>> 0, 7) % EMPTY_PARTITION;
  await producer.send(
    topic,
    events.map((event, i) => ({
      key: event.customer_id,
      partition: partitionOf(event.customer_id),
      value:
        i % 50 === 49
          ? Buffer.from(`{"transaction_id":"${event.transaction_id}-json"}`)
          : producer.serde.encode(producer.transactionSchemaId, event),
    })),
  );
  return events[events.length - 1]?.event_time as number;
}

/**
 * Issue 9 item 9's drill. A partition with nothing to read is never fetched, so only the caught-up check at assignment
 * can tell alignment it is read to its end; while it cannot, that partition's bound is unknown and every record of
 * every worker waits. Here the check fails for real: the broker's per-address connection limit is lowered under what
 * the worker already holds right after it joined, so its open connections carry on while the check's fresh admin
 * connection is refused (Redis is frozen across the join only to line this up: the state check before it waits).
 */
describe('fault: the caught-up check fails right after the assignment (the broker refuses new connections)', () => {
  it(
    'the worker retries the check, then scores everything without a rebalance: lost 0, duplicated 0',
    { timeout: 180_000 },
    async () => {
      const stack = new StackControl();
      await stack.up();
      const limit = await ConnectionLimit.open();
      const { topology, topics } = testTopology({ maxRecords: 100, maxWaitMs: 100, partitions: PARTITIONS });
      const instanceId = `c${randomBytes(3).toString('hex')}`;
      const watch = new GroupWatch(topology.consumerGroup, topology.topics.input);
      const log = captureLog();
      let producer: TestProducer | undefined;
      let pipeline: PipelineContext | undefined;
      let redisFrozen = false;
      try {
        await createTopics(topics, PARTITIONS);
        producer = await testProducer(topology);
        const lastEventMs = await feed(
          producer,
          topology.topics.input,
          `${instanceId}-a`,
          BEFORE,
          Date.UTC(2026, 0, 5),
        );
        pipeline = await createPipeline({
          topology,
          instanceId,
          metricsPort: 0,
          log: createLogger({ name: topology.name, level: 'info', destination: log.stream }),
        });
        const consumer = pipeline.consumer;
        let joins = 0;
        let rebalances = 0;
        let fetchedAfterJoin = false;
        consumer.on(consumer.events.GROUP_JOIN, () => joins++);
        consumer.on(consumer.events.REBALANCING, () => rebalances++);
        consumer.on(consumer.events.FETCH, () => (fetchedAfterJoin = joins > 0));
        // The watch's admin connects now: it must not need a new connection while the limit holds.
        assert.equal(await watch.committed(), 0, 'nothing committed before the worker started');

        // 1. Join with Redis frozen: the state check at assignment waits for it, and the caught-up check after it.
        stack.signal('redis', 'SIGSTOP');
        redisFrozen = true;
        void pipeline.runner.start();
        // The consumer's fetch connection opens with its first fetch: once that is answered, it holds every
        // connection it needs, and the state check's admin client (made at the join) has long connected.
        await until('the join and a first fetch', () => (fetchedAfterJoin ? true : undefined), 60_000);
        await sleep(1_000);

        // 2. The broker refuses new connections from the worker's address; what it holds stays open.
        await limit.hold();
        await until(
          'the broker to refuse new connections',
          async () => ((await limit.accepts()) ? undefined : true),
          10_000,
        );
        stack.signal('redis', 'SIGCONT');
        redisFrozen = false;
        const failedAt = Date.now();
        const metricsAddress = pipeline.metricsAddress;
        await until(
          'a failed caught-up check',
          async () => (await alignErrors(metricsAddress)) > 0 || undefined,
          60_000,
        );
        const failedChecks = await alignErrors(metricsAddress);
        // Every record waits: the empty partitions' bounds are unknown.
        const committedWhileFailing = await watch.committed();
        await limit.lift();
        const liftedAt = Date.now();
        process.stdout.write(
          `drill: the check failed ${failedChecks} time(s) within ${liftedAt - failedAt} ms; committed meanwhile ` +
            `${committedWhileFailing}; limit lifted\n`,
        );

        // 3. Recovery with no rebalance: everything waiting is scored, then what arrives afterwards.
        const end = async () => (await watch.inputEnd()) ?? 0;
        const allCommitted = async (what: string, timeoutMs: number) => {
          const target = await end();
          let committed: number | undefined;
          await until(
            () => `${what} (${committed ?? '?'} of ${target} committed)`,
            async () => ((committed = await watch.committed()) ?? -1) >= target || undefined,
            timeoutMs,
          );
        };
        await allCommitted('the records that waited for the check', 45_000);
        const recoveredMs = Date.now() - liftedAt;
        await feed(producer, topology.topics.input, `${instanceId}-b`, AFTER, lastEventMs + 60_000);
        await allCommitted('the records fed after the recovery', 45_000);
        process.stdout.write(`drill: every waiting record committed ${recoveredMs} ms after the limit was lifted\n`);

        assert.ok(failedChecks >= 1, 'the caught-up check failed at least once');
        assert.equal(committedWhileFailing, 0, 'nothing is scored while an empty partition is unknown');
        assert.equal(joins, 1, 'one group join: the recovery needed no rebalance');
        assert.equal(rebalances, 0, 'no rebalance');
        assert.ok(!log.messages.some((m) => m.startsWith('group rebalancing')), 'the runner saw no rebalance');

        const offsets = testKafka().admin();
        await offsets.connect();
        const ends = await offsets.fetchTopicOffsets(topology.topics.input).finally(() => offsets.disconnect());
        const emptyEnd = ends.find((p) => p.partition === EMPTY_PARTITION)?.high;
        assert.equal(emptyEnd, '0', `input partition ${EMPTY_PARTITION} stayed empty`);

        await pipeline.close();
        pipeline = undefined;
        const transaction = avro.Type.forSchema(readContractSchema('transaction') as avro.Schema);
        const outcome = await accountOutcomes(topology, {
          inputCount: BEFORE + AFTER,
          transactionTypes: [transaction],
          workerIds: [instanceId],
          timeoutMs: 60_000,
          settleMs: 2_000,
        });
        assert.equal(outcome.inputs, BEFORE + AFTER, 'inputs read back');
        assert.equal(outcome.lost, 0, `lost: ${outcome.examples.lost.join(' ')}`);
        assert.equal(outcome.duplicated, 0, `duplicated: ${outcome.examples.duplicated.join(' ')}`);
        assert.equal(outcome.unexpected, 0, `unexpected: ${outcome.examples.unexpected.join(' ')}`);
        assert.equal(outcome.outcomes, outcome.inputs, 'one outcome per input');
        assert.equal(outcome.deadLetters, outcome.invalidInputs, JSON.stringify(outcome.deadLetterReasons));
        assert.ok(outcome.deadLetters > 0, 'the hostile records were dead-lettered');
        assert.ok(outcome.features.compared > 0, 'features were compared');
        assert.equal(outcome.features.differing, 0, outcome.features.examples.join('; '));
      } finally {
        if (redisFrozen) stack.signal('redis', 'SIGCONT');
        await limit.close();
        await pipeline?.close().catch(() => undefined);
        await producer?.close().catch(() => undefined);
        await watch.close();
        await deleteTopics(topics).catch(() => undefined);
      }
    },
  );
});
