/**
 * Hostile input, fuzzed (invariants 3, 4, 8): whatever bytes arrive, every record gets exactly one outcome (a score, or
 * a dead letter whose reason is the one its defect calls for), nothing throws, and every published score is finite and
 * in [0, 1].
 *
 * 1. In process, > 10,000 payloads through the real batch path: createBatchScorer with the real serde against the real
 *    registry, the feature engine on the real Redis state, the committed demo model in onnxruntime.
 * 2. A decoder deadline: block counts that would keep avsc looping for minutes are refused at once (in a worker, so
 *    that a regression fails the test instead of hanging it).
 * 3. Through Kafka: ~2,000 payloads through a running pipeline, read back with read_committed.
 */
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { createAvroSerde, type AvroSerde } from '../../../src/adapters/registry/serde.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { DeadLetterReason } from '../../../src/core/contract/reasons.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { createFeatureEngine, featureStateHorizonMs } from '../../../src/core/features/engine.js';
import { createRedisFeatureState } from '../../../src/adapters/redis/feature-state.js';
import type { ConsumedRecord } from '../../../src/runtime/consumed-record.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { registerContractSchemas } from '../../../src/runtime/contract-subjects.js';
import { loadServingModel } from '../../../src/runtime/load-model.js';
import { staticServing } from '../../../src/runtime/serving.js';
import { createBatchScorer, type ScoreBatch, type ServingModel } from '../../../src/runtime/score-batch.js';
import {
  DEAD_LETTER_REASONS,
  HOSTILE_BLOCK_HEADERS,
  RECORDED,
  SCORED,
  hostileBlockRecord,
  inputPayload,
  labelPayload,
  prepareHostileContext,
  validTransaction,
  type HostileContext,
  type Outcome,
  type Payload,
} from '../../support/hostile-payloads.js';
import { assertAllScoresFinite, assertExactlyOneOutcome } from '../../support/invariants.js';
import { connectTestRedis, deleteKeys, uniqueKeyPrefix } from '../../support/redis.js';
import {
  STACK,
  deleteTopics,
  readCommitted,
  testProducer,
  testTopology,
  type TestProducer,
} from '../../support/stack.js';

/** The worker's clock in process: fixed, so that the contract's time bounds (and so the expected reasons) are too. */
const NOW_MS = Date.UTC(2026, 5, 15, 12);
const PARTITIONS = 4;
/** 50 batches of 200..400: at least 10,000 payloads, in batches as large as the pipeline's (100..1000). */
const BATCHES = 50;
const MIN_BATCH = 200;
const MAX_BATCH = 400;
const SCORE_REASON_CODE =
  /^(FEATURE_IMPUTED:[a-z0-9_]+|MODEL_OUTPUT_NON_FINITE|MODEL_OUTPUT_OUT_OF_RANGE|KILL_SWITCH_FALLBACK)$/;

/**
 * Reports a failure by its error, seed and path only: fast-check's default report prints the whole counterexample,
 * hundreds of byte arrays, which buries the message that names the payload, what it got and what it should get.
 */
function shortReport<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(`property failed (seed ${details.seed}, path "${details.counterexamplePath ?? ''}"): ${cause}`, {
    cause: details.errorInstance,
  });
}

function tallyInto(tally: Map<string, Map<string, number>>, kind: string, outcome: string): void {
  const byOutcome = tally.get(kind) ?? new Map<string, number>();
  byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  tally.set(kind, byOutcome);
}

function formatTally(tally: Map<string, Map<string, number>>): string[] {
  return [...tally]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, outcomes]) => `  ${kind}: ${[...outcomes].map(([o, n]) => `${o} ${n}`).join(', ')}`);
}

/**
 * A valid transaction may repeat the id of another (the generators draw ids from small pools): then its correct
 * outcome is DUPLICATE_TRANSACTION if, and only if, the dead letter names a scored record with that id, of an
 * earlier batch or of the same one (the batch path claims ids in its own order, which need not be the order of the
 * records here); `scored` maps id → the positions of its scored records.
 */
function isRightDuplicate(
  letter: Record<string, unknown>,
  scored: ReadonlyMap<string, readonly { partition: number; offset: number }[]>,
): boolean {
  const detail = letter['detail'] as string;
  return (scored.get(letter['transaction_id'] as string) ?? []).some((first) =>
    detail.includes(`partition ${first.partition} offset ${first.offset};`),
  );
}

describe('hostile input through the batch path (real registry and serde, Redis features, ONNX)', () => {
  const { topology } = testTopology();
  const keyPrefix = uniqueKeyPrefix('fuzz');
  const redis = connectTestRedis();
  let serde: AvroSerde;
  let ctx: HostileContext;
  let model: ServingModel;
  let scoreBatch: ScoreBatch;

  before(async () => {
    // The pipeline's side: its own serde, which learns writer schemas from the registry by id, as in production.
    serde = createAvroSerde({ url: STACK.registryUrl });
    const ids = await registerContractSchemas(serde, topology);
    ctx = await prepareHostileContext(topology, NOW_MS);
    const labelDelayMs = topology.features.labelDelayDays * DAY_MS;
    const engine = createFeatureEngine({
      state: createRedisFeatureState(redis, { keyPrefix, horizonMs: featureStateHorizonMs(labelDelayMs) }),
      labelDelayMs,
    });
    model = await loadServingModel(topology, engine.schema);
    scoreBatch = createBatchScorer({
      serde,
      engine,
      serving: staticServing(model),
      decision: topology.decision,
      topics: topology.topics,
      outputSchemas: { current: () => Promise.resolve(ids) },
      clock: () => NOW_MS,
    });
  });

  after(async () => {
    await model?.scorer.close();
    await deleteKeys(redis, keyPrefix);
    redis.disconnect();
  });

  it('gives each of >10,000 random and mutated payloads exactly one outcome, the right one, and never throws', async (t) => {
    const { topics, decision } = topology;
    const nextOffset = new Map<string, number>();
    const tally = new Map<string, Map<string, number>>();
    const scoredIds = new Map<string, { partition: number; offset: number }[]>();
    let payloadCount = 0;
    let batchCount = 0;

    const payloads = fc.array(
      fc.oneof({ weight: 9, arbitrary: inputPayload(ctx) }, { weight: 1, arbitrary: labelPayload(ctx) }),
      { minLength: MIN_BATCH, maxLength: MAX_BATCH },
    );
    await fc.assert(
      fc.asyncProperty(payloads, async (batch) => {
        batchCount++;
        payloadCount += batch.length;
        const records: ConsumedRecord[] = batch.map((payload, i) => {
          const topic = payload.topic === 'labels' ? topics.labels : topics.input;
          const partition = i % PARTITIONS;
          const at = `${topic}/${partition}`;
          const offset = nextOffset.get(at) ?? 0;
          nextOffset.set(at, offset + 1);
          return {
            topic,
            partition,
            offset: String(offset),
            key: i % 7 === 0 ? null : Buffer.from(`k${i}`),
            value: payload.value,
          };
        });

        // Bad input must not throw: only infrastructure may (and here it is up).
        const { outgoing, summary } = await scoreBatch(records, `fuzz-${batchCount}`);

        const scores = outgoing.messagesByTopic.get(topics.output) ?? [];
        const deadLetters = outgoing.messagesByTopic.get(topics.deadLetter) ?? [];
        assert.equal(outgoing.messagesByTopic.size, 2, 'outputs go to the score and dead-letter topics only');
        const outcomes = new Map<string, { outcome: Outcome; value: Record<string, unknown>; message: Message }[]>();
        const note = (position: string, outcome: Outcome, value: Record<string, unknown>, message: Message) =>
          outcomes.set(position, [...(outcomes.get(position) ?? []), { outcome, value, message }]);
        for (const message of scores) {
          const decoded = await serde.decode(message.value as Buffer);
          assert.ok(decoded.ok, 'a published score decodes with its registered schema');
          const score = decoded.value;
          const value = score['score'] as number;
          assert.ok(Number.isFinite(value) && value >= 0 && value <= 1, `score ${value} is finite and in [0, 1]`);
          const expectedDecision =
            value >= decision.blockAt ? 'BLOCK' : value >= decision.reviewAt ? 'REVIEW' : 'APPROVE';
          assert.equal(score['decision'], expectedDecision);
          const features = score['features'] as Record<string, number>;
          assert.deepEqual(Object.keys(features).sort(), [...FEATURE_SCHEMA.names].sort());
          for (const [name, feature] of Object.entries(features))
            assert.ok(Number.isFinite(feature), `${name} = ${feature}`);
          for (const code of score['reason_codes'] as string[]) assert.match(code, SCORE_REASON_CODE);
          note(
            `${topics.input}/${String(score['source_partition'])}@${String(score['source_offset'])}`,
            SCORED,
            score,
            message,
          );
        }
        for (const message of deadLetters) {
          const decoded = await serde.decode(message.value as Buffer);
          assert.ok(decoded.ok, 'a published dead letter decodes with its registered schema');
          const letter = decoded.value;
          const reason = letter['reason'] as DeadLetterReason;
          assert.ok(DEAD_LETTER_REASONS.includes(reason), `reason ${reason} is in the closed vocabulary`);
          assert.ok(typeof letter['detail'] === 'string' && letter['detail'].length > 0, 'a dead letter says why');
          const position = `${String(letter['source_topic'])}/${String(letter['source_partition'])}@${String(letter['source_offset'])}`;
          note(position, reason, letter, message);
        }

        // Every record of this batch that was scored, before any dead letter is checked against them.
        for (const record of records) {
          const scored = outcomes.get(`${record.topic}/${record.partition}@${record.offset}`)?.[0];
          if (scored?.outcome !== SCORED) continue;
          const id = scored.value['transaction_id'] as string;
          scoredIds.set(id, [
            ...(scoredIds.get(id) ?? []),
            { partition: record.partition, offset: Number(record.offset) },
          ]);
        }
        let recorded = 0;
        records.forEach((record, i) => {
          const payload = batch[i] as Payload;
          const position = `${record.topic}/${record.partition}@${record.offset}`;
          const found = outcomes.get(position) ?? [];
          outcomes.delete(position);
          assert.ok(found.length <= 1, `${payload.kind} at ${record.offset}: ${found.length} outcomes`);
          const outcome = found[0]?.outcome ?? RECORDED;
          if (outcome === RECORDED) {
            assert.equal(payload.topic, 'labels', `${payload.kind}: a transaction without an outcome`);
            recorded++;
          }
          const repeated =
            outcome === DeadLetterReason.DuplicateTransaction &&
            payload.expect.includes(SCORED) &&
            isRightDuplicate(found[0]!.value, scoredIds);
          assert.ok(
            repeated || payload.expect.includes(outcome),
            `${payload.kind}: got ${outcome}${found[0] ? ` (${String(found[0].value['detail'] ?? '')})` : ''}, ` +
              `expected one of ${payload.expect.join(', ')}`,
          );
          if (found[0]) {
            // Keyed like the input, so that a dead letter can be replayed onto the input topic as it was.
            assert.deepEqual(found[0].message.key ?? null, record.key);
            if (outcome !== SCORED) {
              const original = found[0].value['original_value'] as Buffer | null;
              const kept = record.value !== null && record.value.length <= ctx.maxRecordBytes ? record.value : null;
              assert.ok(kept === null ? original === null : kept.equals(original as Buffer), 'original bytes kept');
            }
          }
          tallyInto(tally, payload.kind, outcome);
        });
        assert.deepEqual([...outcomes.keys()], [], 'no outcome for a record that was not in the batch');

        const inputRecords = batch.filter((payload) => payload.topic === 'input').length;
        assert.equal(summary.transactions, inputRecords);
        assert.equal(summary.scored, scores.length);
        assert.equal(summary.deadLettered, deadLetters.length);
        assert.equal(summary.labels, recorded);
        for (const [topic, partitions] of outgoing.offsets) {
          for (const [partition, next] of partitions) {
            assert.equal(
              next,
              String(nextOffset.get(`${topic}/${partition}`)),
              `offset to commit on ${topic}/${partition}`,
            );
          }
        }
      }),
      // No shrinking: a run is a whole batch through the model, and the failure message already names the payload's
      // defect class, what it got and what it should have got; the printed seed and path replay it.
      { numRuns: BATCHES, endOnFailure: true, reporter: shortReport },
    );

    t.diagnostic(`fuzz: ${payloadCount} payloads in ${batchCount} batches`);
    for (const line of formatTally(tally)) t.diagnostic(line);
    assert.ok(payloadCount >= 10_000, `${payloadCount} payloads`);
    // Every defect class was exercised, and every reason the input can earn was given at least once.
    const given = new Set([...tally.values()].flatMap((outcomes) => [...outcomes.keys()]));
    for (const reason of [SCORED, RECORDED, ...DEAD_LETTER_REASONS]) assert.ok(given.has(reason), `${reason} given`);
  });
});

/**
 * Decodes values in a worker thread, so that a decoder stuck in a synchronous loop can be stopped: a deadline in the
 * test's own thread would never fire.
 */
async function decodeWithDeadline(values: readonly Buffer[], reader: object, deadlineMs: number): Promise<string[]> {
  const serdeUrl = new URL('../../../src/adapters/registry/serde.js', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     import(workerData.serdeUrl).then(async ({ createAvroSerde }) => {
       const serde = createAvroSerde({ url: workerData.registryUrl });
       const values = workerData.values.map((value) => Buffer.from(value));
       await serde.prepare(values);
       parentPort.postMessage(values.map((value) => {
         const decoded = serde.decodeSync(value, workerData.reader);
         return decoded.ok ? 'OK' : decoded.reason;
       }));
     });`,
    { eval: true, workerData: { serdeUrl, registryUrl: STACK.registryUrl, reader, values } },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<string[]>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the decoder was still busy after ${deadlineMs} ms: it loops over a hostile count`)),
          deadlineMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}

describe('hostile block counts (decoder deadline)', () => {
  it('refuses an array or map block that claims more items than the record has bytes, at once', async () => {
    const { topology } = testTopology();
    const ctx = await prepareHostileContext(topology, NOW_MS);
    const [value] = fc.sample(validTransaction(ctx), { numRuns: 1, seed: 7 });
    // v1: the contract reader reads the `attributes` map; v2: it skips v2's map and array (the writer's skip path).
    const hostile = [false, true].flatMap((v2) =>
      HOSTILE_BLOCK_HEADERS.map((header) => hostileBlockRecord(ctx, value!, header, v2)),
    );
    // Unbounded, avsc takes about a minute per 2^31 items and for ever on 2^62; bounded, microseconds. The deadline
    // only has to absorb start-up and two registry lookups.
    const reasons = await decodeWithDeadline(hostile, readContractSchema('transaction'), 20_000);
    assert.deepEqual(
      reasons,
      hostile.map(() => DeadLetterReason.UndecodableBody),
    );
  });
});

describe('hostile input through a running pipeline (real Kafka, registry, Redis, ONNX)', () => {
  const PAYLOADS = 2_000;
  const { topology, topics } = testTopology({ maxRecords: 500, maxWaitMs: 300 });
  let pipeline: PipelineContext;
  let producer: TestProducer;
  let ctx: HostileContext;

  before(async () => {
    pipeline = await createPipeline({
      topology,
      instanceId: 'fuzz',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'error' }),
    });
    void pipeline.runner.start();
    producer = await testProducer(topology);
    // The pipeline's clock runs on while the test produces: an hour of slack keeps "too far ahead" unambiguous.
    ctx = await prepareHostileContext(topology, Date.now(), 3_600_000);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
  });

  it('gives each input offset exactly one committed outcome, with the reason its defect calls for', async (t) => {
    const payloads = fc.sample(inputPayload(ctx), { numRuns: PAYLOADS });
    const messages = payloads.map((payload, i) => ({ key: `h-${i}`, value: payload.value }));
    // A partition's record batch must stay under the broker's 1 MB: oversized values go one by one.
    const large = messages.filter((m) => (m.value?.length ?? 0) > 16 * 1024);
    const small = messages.filter((m) => (m.value?.length ?? 0) <= 16 * 1024);
    for (const message of large) await producer.send(topology.topics.input, [message]);
    for (let i = 0; i < small.length; i += 200) await producer.send(topology.topics.input, small.slice(i, i + 200));

    const inputs = await readCommitted([topology.topics.input], (r) => r.length >= PAYLOADS, 60_000, { raw: true });
    assert.equal(inputs.length, PAYLOADS);
    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (r) => r.length >= PAYLOADS,
      120_000,
      { settleMs: 1_000 },
    );
    const scores = outputs.filter((r) => r.topic === topology.topics.output);
    const deadLetters = outputs.filter((r) => r.topic === topology.topics.deadLetter);
    assertExactlyOneOutcome(inputs, scores, deadLetters);
    assertAllScoresFinite(scores);

    const payloadAt = new Map(
      inputs.map((input) => [`${input.partition}@${input.offset}`, payloads[Number(input.key!.slice(2))]!]),
    );
    const tally = new Map<string, Map<string, number>>();
    // A repeat of an id is right only when it names the score of that id it repeats (see isRightDuplicate).
    const scoredAt = new Map(
      scores.map((score) => [
        `partition ${String(score.value['source_partition'])} offset ${String(score.value['source_offset'])};`,
        score.value['transaction_id'],
      ]),
    );
    const namesScoreOfItsId = (letter: Record<string, unknown>) =>
      [...scoredAt].some(
        ([at, id]) => id === letter['transaction_id'] && (letter['detail'] as string).includes(` ${at}`),
      );
    for (const [outcome, records] of [
      [SCORED, scores],
      ['dead letter', deadLetters],
    ] as const) {
      for (const record of records) {
        const payload = payloadAt.get(
          `${String(record.value['source_partition'])}@${String(record.value['source_offset'])}`,
        )!;
        const got = (outcome === SCORED ? SCORED : record.value['reason']) as Outcome;
        const repeated =
          got === DeadLetterReason.DuplicateTransaction &&
          payload.expect.includes(SCORED) &&
          namesScoreOfItsId(record.value);
        assert.ok(
          repeated || payload.expect.includes(got),
          `${payload.kind}: got ${got}, expected ${payload.expect.join(' or ')}`,
        );
        tallyInto(tally, payload.kind, got);
      }
    }
    t.diagnostic(`end to end: ${PAYLOADS} payloads, ${scores.length} scored, ${deadLetters.length} dead-lettered`);
    for (const line of formatTally(tally)) t.diagnostic(line);
  });
});
