/**
 * Invariant 9, "state is derived, never trusted blindly", as a drill against a Redis of the test's own (the stack
 * script's `up|kill redis` on port 23379) and the shared Kafka and registry:
 *  1. a worker scores a first part of the stream;
 *  2. Redis is killed (SIGKILL) and started again: with the stack's default persistence (AOF, fsync every second)
 *     the state and its absorbed-offset marker survive, and the worker goes on without a refused batch;
 *  3. Redis is flushed mid-run: the next batch is refused (nothing scored, the metric counts it), however long it
 *     waits, until `fraudscore state rebuild` (rebuildState) has replayed the topics into Redis; then the worker
 *     resumes by itself;
 *  4. every feature of every published score equals, bit for bit, what the backfill computes over the same topics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createKafka } from '../../../src/adapters/kafka/kafka-client.js';
import { createLogger, logLevelFor } from '../../../src/adapters/observability/logger.js';
import { createAvroSerde } from '../../../src/adapters/registry/serde.js';
import { registryConnection, type Topology } from '../../../src/config/index.js';
import {
  kafkaLabelSource,
  kafkaTransactionSource,
  rebuildState,
  runBackfill,
  TableFormat,
} from '../../../src/backfill/index.js';
import { splitCsvLine } from '../../../src/backfill/csv.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { validEvents, type TestEvent } from '../../support/events.js';
import { assertAllScoresFinite } from '../../support/invariants.js';
import { ownRedis, type OwnRedis } from '../../support/own-redis.js';
import { deleteTopics, readCommitted, testProducer, testTopology, type ReadRecord } from '../../support/stack.js';

const REDIS_PORT = 23379;
const PHASES = 3;
const PER_PHASE = 800;

/** Three phases of one stream: customers and terminals recur across them; every 9th transaction reported fraud. */
function stream(): { events: TestEvent[][]; labels: Record<string, unknown>[][] } {
  const all = validEvents(PHASES * PER_PHASE, 'sl', Date.UTC(2026, 5, 1));
  const events = Array.from({ length: PHASES }, (_, p) => all.slice(p * PER_PHASE, (p + 1) * PER_PHASE));
  const labels = events.map((phase) =>
    phase
      .filter((_, i) => i % 9 === 0)
      .map((event) => ({
        transaction_id: event.transaction_id,
        is_fraud: true,
        reported_at: event.event_time + 2 * DAY_MS,
      })),
  );
  return { events, labels };
}

/** Progress on stderr: a drill that hangs should say where. */
function phase(name: string): void {
  process.stderr.write(`state-loss: ${new Date().toISOString()} ${name}\n`);
}

async function behindCount(pipeline: PipelineContext, check: string): Promise<number> {
  const metric = await pipeline.metrics.featureStateBehind.get();
  return metric.values.filter((v) => v.labels['check'] === check).reduce((sum, v) => sum + v.value, 0);
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('feature state lost and rebuilt (own Redis, real Kafka and registry)', () => {
  const isolated = testTopology({ maxRecords: 200, maxWaitMs: 200 });
  const topology: Topology = {
    ...isolated.topology,
    redis: { ...isolated.topology.redis, url: `redis://127.0.0.1:${REDIS_PORT}` },
  };
  const log = createLogger({ name: 'test', level: logLevelFor('error', process.env, 'TEST_LOG_LEVEL') });
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-state-loss-'));
  let redisServer: OwnRedis;
  let redis: Redis;
  let pipeline: PipelineContext | undefined;

  before(() => {
    redisServer = ownRedis(REDIS_PORT);
    redisServer.up();
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  });

  after(async () => {
    await pipeline?.close();
    redis?.disconnect();
    redisServer?.destroy();
    await deleteTopics(isolated.topics);
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'survives a Redis crash (AOF), refuses to score on a flushed state, resumes after a rebuild, matches the backfill',
    { timeout: 600_000 },
    async () => {
      const { events, labels } = stream();
      const producer = await testProducer(topology);
      const produce = async (phase: number) => {
        const encode = (id: number, value: object) => producer.serde.encode(id, value);
        await producer.send(
          topology.topics.labels,
          labels[phase]!.map((label) => ({
            key: label['transaction_id'] as string,
            value: encode(producer.labelSchemaId, label),
          })),
        );
        await producer.send(
          topology.topics.input,
          events[phase]!.map((event) => ({
            key: event.customer_id,
            value: encode(producer.transactionSchemaId, event),
          })),
        );
      };
      const scored = (n: number) => readCommitted([topology.topics.output], (r) => r.length >= n, 120_000);
      try {
        pipeline = await createPipeline({ topology, instanceId: 'state-loss', metricsPort: 0, log });
        void pipeline.runner.start();

        // 1. The first phase.
        phase('1 first phase');
        await produce(0);
        assert.equal((await scored(PER_PHASE)).length, PER_PHASE);

        // 2. A crash (SIGKILL) with nothing written for over a second: the append-only file has it all.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        phase('2 kill and restart redis');
        redisServer.kill();
        redisServer.up();
        await produce(1);
        assert.equal((await scored(2 * PER_PHASE)).length, 2 * PER_PHASE);
        assert.equal(await behindCount(pipeline, 'batch'), 0, 'no batch refused after a restart that lost nothing');

        // 3. The state is lost mid-run: nothing is scored on it.
        phase('3 flush');
        await redis.flushall();
        await produce(2);
        await until('a refused batch', async () => (await behindCount(pipeline!, 'batch')) > 0);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const paused = await readCommitted([topology.topics.output], () => false, 3_000);
        assert.equal(paused.length, 2 * PER_PHASE, 'no score published on the lost state');

        const kafka = createKafka(topology, log);
        const serde = createAvroSerde(registryConnection(topology));
        phase('3 rebuild');
        const rebuilt = await rebuildState({ topology, kafka, serde, redis });
        assert.equal(rebuilt.transactions, 2 * PER_PHASE, 'replayed to the committed offsets');
        assert.equal(
          [...rebuilt.absorbed.values()].reduce((a, b) => a + b, 0),
          2 * PER_PHASE,
        );
        phase('3 resume');
        const all = await scored(PHASES * PER_PHASE);
        assert.equal(all.length, PHASES * PER_PHASE, 'the paused worker resumed by itself');
        await pipeline.close();
        pipeline = undefined;
        assertAllScoresFinite(all);

        phase('4 backfill');
        // 4. Every published feature is what the backfill computes over the same topics.
        const backfill = await runBackfill({
          events: kafkaTransactionSource({ kafka, serde, topic: topology.topics.input }),
          labels: kafkaLabelSource({ kafka, serde, topic: topology.topics.labels }),
          out: join(dir, 'table.csv'),
          // Read back as text below: CSV, whose numbers are the shortest round-trip text of each double.
          tableFormat: TableFormat.Csv,
          labelDelayMs: topology.features.labelDelayDays * DAY_MS,
          progress: false,
          stdout: null,
        });
        assert.equal(backfill.manifest.rows, PHASES * PER_PHASE);
        assertSameFeatures(all, join(dir, 'table.csv'));
      } finally {
        await producer.close();
      }
    },
  );
});

function assertSameFeatures(scores: readonly ReadRecord[], table: string): void {
  const lines = readFileSync(table, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const columns = splitCsvLine(lines[0]!)!;
  const rows = new Map(
    lines
      .slice(1)
      .map((line) => splitCsvLine(line)!)
      .map((fields) => [fields[0]!, fields]),
  );
  let risky = 0;
  const mismatches: string[] = [];
  for (const score of scores) {
    const id = score.value['transaction_id'] as string;
    const row = rows.get(id);
    assert.ok(row, `${id} has a backfill row`);
    const features = score.value['features'] as Record<string, number>;
    for (const name of FEATURE_SCHEMA.names) {
      const offline = Number(row[columns.indexOf(name)]);
      if (!Object.is(features[name], offline))
        mismatches.push(`${id}.${name}: online ${features[name]} backfill ${offline}`);
    }
    if (features['terminal_risk_30d']! > 0) risky++;
  }
  assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} feature values differ`);
  assert.ok(risky > 50, `the stream exercises terminal risk (${risky} rows)`);
}
