/**
 * Invariant 1, "one definition, two runtimes", end to end: a seeded event and label stream goes to fresh topics, two
 * workers of one consumer group score it online (Redis state, 4 input partitions), then the backfill reads the same
 * topics (Kafka source, memory state). Every transaction must get the same 15 feature values from both, bit for bit.
 * Three ways the stream reaches the workers:
 *   - a replayed backlog (all of it produced before any worker starts: Kafka's replay chunking across partitions);
 *   - a replayed backlog with late events (within and beyond the lateness margin) and a second worker added
 *     mid-replay (a rebalance while partitions are days of event time apart);
 *   - a live stream (produced while the workers run).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Consumer } from 'kafkajs';
import { createKafka } from '../../../src/adapters/kafka/kafka-client.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createAvroSerde } from '../../../src/adapters/registry/serde.js';
import type { Topology } from '../../../src/config/index.js';
import {
  kafkaLabelSource,
  kafkaTransactionSource,
  runBackfill,
  TableFormat,
  type BackfillResult,
  type TopicFingerprint,
} from '../../../src/backfill/index.js';
import { splitCsvLine } from '../../../src/backfill/csv.js';
import { registryConnection } from '../../../src/config/index.js';
import { DAY_MS, HOUR_MS, simulate, type SimulationOptions } from '../../../src/core/simulate/index.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { simulateToKafka } from '../../../src/simulate/kafka-sink.js';
import { connectTestRedis, deleteKeys } from '../../support/redis.js';
import {
  STACK,
  deleteTopics,
  testKafka,
  testProducer,
  testTopology,
  uniqueName,
  type ReadRecord,
} from '../../support/stack.js';

/**
 * 300 customers on 60 terminals within radius 15 of a 100 × 100 map: a terminal is shared by about 17 customers,
 * so by all 4 input partitions; ~22k transactions, every one labelled (up to 7 days later), some compromised
 * terminals so that terminal risk is not always 0, and a few hostile records that both runtimes must drop alike.
 */
const SIMULATION: Partial<SimulationOptions> = {
  seed: 11,
  customers: 300,
  terminals: 60,
  days: 40,
  radius: 15,
  compromisedTerminalRate: 0.002,
  invalidRate: 0.002,
};
const PARTITIONS = 4;
const MISMATCHES_SHOWN = 20;
/**
 * The online phase gives up when no outcome arrives for this long: longer than a rebalance (the session timeout is
 * 30 s) on a loaded 2-core machine, far shorter than the ten minutes a stalled pipeline would otherwise cost.
 */
const STALL_MS = 90_000;
const ONLINE_LIMIT_MS = 600_000;

interface TieEvent {
  readonly transaction_id: string;
  readonly event_time: number;
  readonly customer_id: string;
  readonly terminal_id: string;
  readonly amount: number;
  readonly currency: string;
}

/**
 * Hand-made ties after the simulated traffic (so that no partition gets a late record): three transactions of one
 * customer at the same millisecond (customer windows count the ones before in log order), six at one terminal at
 * that millisecond from four customers, and terminal transactions exactly d later (the window end t − d is
 * inclusive), 1 ms before and after, with fraud labels reported exactly at those times (known at t: reported ≤ t).
 */
function handMadeTies(
  options: SimulationOptions,
  withLateEvents: boolean,
): { events: TieEvent[]; labels: Record<string, unknown>[] } {
  const perCustomer = new Map<string, number>();
  const perTerminal = new Map<string, Set<string>>();
  for (const record of simulate(options)) {
    if (record.kind !== 'transaction') continue;
    const { customerId, terminalId } = record.event;
    perCustomer.set(customerId, (perCustomer.get(customerId) ?? 0) + 1);
    perTerminal.set(terminalId, (perTerminal.get(terminalId) ?? new Set()).add(customerId));
  }
  const busiest = <T>(entries: Iterable<[string, T]>, size: (value: T) => number) =>
    [...entries].sort((a, b) => size(b[1]) - size(a[1]) || (a[0] < b[0] ? -1 : 1))[0]!;
  const [terminal, customersThere] = busiest(perTerminal, (set) => set.size);
  const others = [...customersThere].sort().slice(0, 4);
  const [customer] = busiest(perCustomer, (n) => n);
  const d = 7 * DAY_MS;
  const t1 = options.startMs + options.days * DAY_MS + HOUR_MS;
  const tx = (id: string, at: number, who: string, amount: number): TieEvent => ({
    transaction_id: `tie-${id}`,
    event_time: at,
    customer_id: who,
    terminal_id: terminal,
    amount,
    currency: 'EUR',
  });
  const events = [
    tx('c1', t1, customer, 10),
    tx('c2', t1, customer, 20.5),
    tx('c3', t1, customer, 0.01),
    ...others.map((who, i) => tx(`t${i}`, t1, who, 5 + i)),
    tx('edge-1ms', t1 + d - 1, others[0]!, 1),
    tx('edge', t1 + d, others[1]!, 2),
    tx('edge-2', t1 + d, others[2]!, 3),
    tx('edge+1ms', t1 + d + 1, others[3]!, 4),
  ];
  const labels = [
    { transaction_id: 'tie-c1', is_fraud: true, reported_at: t1 + d },
    { transaction_id: 'tie-t0', is_fraud: true, reported_at: t1 + d + 1 },
  ];
  if (withLateEvents) {
    // Appended last, so late against everything before them in their partition: 6 h late (within the one-day
    // lateness margin: aligned) and 30 h late (beyond it: featurised as the state stands when its turn comes).
    events.push(
      tx('late-6h', t1 + d - 6 * HOUR_MS, customer, 7),
      tx('late-30h', t1 + d - 30 * HOUR_MS, customer, 8),
      tx('late-6h-other', t1 + d - 6 * HOUR_MS, others[0]!, 9),
    );
  }
  return { events, labels };
}

function parseTable(path: string): { columns: string[]; rows: Map<string, string[]> } {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const columns = splitCsvLine(lines[0]!)!;
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const fields = splitCsvLine(line)!;
    assert.equal(fields.length, columns.length, `table row ${line}`);
    assert.ok(!rows.has(fields[0]!), `transaction ${fields[0]} twice in the table`);
    rows.set(fields[0]!, fields);
  }
  return { columns, rows };
}

/** The stream: simulated traffic and labels, then the hand-made ties; returns how many inputs of each kind. */
async function produceStream(
  topology: Topology,
  options: { withLateEvents: boolean; ratePerSecond?: number },
): Promise<{ inputs: number; validInputs: number; labels: number }> {
  const sim = await simulateToKafka({
    ...(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : {}),
    kafka: {
      brokers: topology.kafka.brokers,
      clientId: 'parity-simulator',
      registry: registryConnection(topology),
      transactionsTopic: topology.topics.input,
      labelsTopic: topology.topics.labels,
      partitions: PARTITIONS,
    },
    simulation: SIMULATION,
  });
  const ties = handMadeTies(sim.options, options.withLateEvents);
  const producer = await testProducer(topology);
  try {
    const encode = (schemaId: number, value: object) => producer.serde.encode(schemaId, value);
    await producer.send(
      topology.topics.input,
      ties.events.map((event) => ({ key: event.customer_id, value: encode(producer.transactionSchemaId, event) })),
    );
    await producer.send(
      topology.topics.labels,
      ties.labels.map((label) => ({
        key: label.transaction_id as string,
        value: encode(producer.labelSchemaId, label),
      })),
    );
  } finally {
    await producer.close();
  }
  return {
    inputs: sim.inputMessages + ties.events.length,
    validInputs: sim.summary.transactions + ties.events.length,
    labels: sim.labelMessages + ties.labels.length,
  };
}

/**
 * Reads scores and dead letters (read_committed, decoded through the registry as a downstream consumer would) until
 * `expected` arrived, or none arrived for STALL_MS: then it returns what came, marked stalled, so that what was
 * scored can still be compared.
 */
async function readOutcomes(
  topics: readonly string[],
  expected: () => number,
  onProgress: (outcomes: number) => void = () => undefined,
): Promise<{ records: ReadRecord[]; stalled: boolean }> {
  const serde = createAvroSerde({ url: STACK.registryUrl });
  const consumer: Consumer = testKafka().consumer({ groupId: uniqueName('parity-reader'), readUncommitted: false });
  const records: ReadRecord[] = [];
  let lastArrival = Date.now();
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const decoded = await serde.decode(message.value);
          if (!decoded.ok) throw new Error(`undecodable output ${batch.topic}/${batch.partition}@${message.offset}`);
          const key = message.key?.toString() ?? null;
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key,
            value: decoded.value,
            raw: message.value,
          });
        }
        lastArrival = Date.now();
        onProgress(records.length);
      },
    });
    const started = Date.now();
    while (records.length < expected()) {
      if (Date.now() - lastArrival > STALL_MS || Date.now() - started > ONLINE_LIMIT_MS) {
        return { records, stalled: true };
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return { records, stalled: false };
  } finally {
    await consumer.disconnect();
  }
}

interface Comparison {
  /** Table rows without a score (the pipeline never scored them), as "id@event time", first MISMATCHES_SHOWN. */
  readonly unscored: string[];
  readonly mismatchedRows: number;
  readonly perFeature: Record<string, number>;
  readonly shown: string[];
  readonly onlineById: Map<string, Record<string, number>>;
}

/** Every score's features against its table row: the same double, to the last bit. */
function compareFeatures(scores: readonly ReadRecord[], backfill: BackfillResult): Comparison {
  const { columns, rows } = parseTable(backfill.tablePath);
  const { featureNames: names, featureSchemaVersion } = backfill.manifest;
  const at = names.map((name) => columns.indexOf(name));
  assert.ok(!at.includes(-1), 'the table has every feature column');
  const perFeature: Record<string, number> = {};
  const shown: string[] = [];
  const mismatched = new Set<string>();
  const onlineById = new Map<string, Record<string, number>>();
  for (const score of scores) {
    const id = score.value['transaction_id'] as string;
    assert.ok(!onlineById.has(id), `${id} scored twice`);
    assert.equal(score.value['feature_schema_version'], featureSchemaVersion, `${id}: feature schema version`);
    const online = score.value['features'] as Record<string, number>;
    onlineById.set(id, online);
    const row = rows.get(id);
    assert.ok(row, `${id} is scored online but has no backfill row`);
    names.forEach((name, f) => {
      const offline = Number(row[at[f]!]);
      // Object.is: bit equality for doubles (a CSV cannot carry -0, and no feature can be -0).
      if (!Object.is(online[name], offline)) {
        perFeature[name] = (perFeature[name] ?? 0) + 1;
        mismatched.add(id);
        if (shown.length < MISMATCHES_SHOWN) shown.push(`${id} ${name}: online ${online[name]}, offline ${offline}`);
      }
    });
  }
  const timeAt = columns.indexOf('event_time_ms');
  const unscored = [...rows.values()]
    .filter((row) => !onlineById.has(row[0]!))
    .slice(0, MISMATCHES_SHOWN)
    .map((row) => `${row[0]}@${new Date(Number(row[timeAt])).toISOString()}`);
  return { unscored, mismatchedRows: mismatched.size, perFeature, shown, onlineById };
}

interface ParityCase {
  readonly name: string;
  readonly withLateEvents: boolean;
  /** Produced while the workers run, at this rate; otherwise a backlog produced before they start. */
  readonly liveRatePerSecond?: number;
  /** The second worker joins once this share of the outcomes is out (a rebalance mid-replay); 0: both at once. */
  readonly secondWorkerAtShare: number;
}

const CASES: readonly ParityCase[] = [
  { name: 'a replayed backlog, two workers', withLateEvents: false, secondWorkerAtShare: 0 },
  {
    name: 'a replayed backlog with late events, a second worker added mid-replay',
    withLateEvents: true,
    secondWorkerAtShare: 0.3,
  },
  { name: 'a live stream, two workers', withLateEvents: true, liveRatePerSecond: 4_000, secondWorkerAtShare: 0 },
];

for (const parityCase of CASES) {
  describe(`online/offline feature parity: ${parityCase.name} (real Kafka, registry, Redis)`, () => {
    const { topology, topics } = testTopology({ partitions: PARTITIONS, maxRecords: 500, maxWaitMs: 300 });
    const log = createLogger({ name: 'parity', level: 'warn' });
    const workers: PipelineContext[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'fraudscore-parity-'));

    after(async () => {
      for (const worker of workers.splice(0)) await worker.close().catch(() => undefined);
      await deleteTopics(topics);
      const redis = connectTestRedis();
      try {
        await deleteKeys(redis, topology.redis.keyPrefix);
      } finally {
        redis.disconnect();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    const name = 'gives every transaction bit-identical features online (Redis) and in the backfill (memory)';
    it(name, { timeout: 900_000 }, async (t) => {
      const timings: Record<string, number> = {};
      let mark = performance.now();
      const lap = (phase: string) => {
        timings[phase] = Math.round(performance.now() - mark);
        mark = performance.now();
      };
      const startWorker = async (instanceId: string) => {
        const worker = await createPipeline({ topology, instanceId, metricsPort: 0, log });
        workers.push(worker);
        void worker.runner.start();
      };

      // 1. The stream, and the workers: the first worker (or both) before a live stream, after a backlog.
      let produced: { inputs: number; validInputs: number; labels: number } | undefined;
      const live = parityCase.liveRatePerSecond !== undefined;
      if (!live) {
        produced = await produceStream(topology, { withLateEvents: parityCase.withLateEvents });
        lap('produce');
      } else {
        // The topics exist before the workers subscribe, as upstream would have them (kept forever: the simulated
        // event times lie in the past, as the simulator requires).
        const admin = testKafka().admin();
        await admin.connect();
        try {
          await admin.createTopics({
            waitForLeaders: true,
            topics: topics.map((topic) => ({
              topic,
              numPartitions: PARTITIONS,
              configEntries: [{ name: 'retention.ms', value: '-1' }],
            })),
          });
        } finally {
          await admin.disconnect();
        }
      }
      await startWorker('w1');
      let secondStarted: Promise<void> | undefined;
      if (parityCase.secondWorkerAtShare === 0) secondStarted = startWorker('w2');
      await secondStarted;
      const producing = live
        ? produceStream(topology, {
            withLateEvents: parityCase.withLateEvents,
            ratePerSecond: parityCase.liveRatePerSecond!,
          }).then((result) => (produced = result))
        : Promise.resolve(produced);

      // 2. Online: until every input has its outcome (or the workers stall).
      const online = await readOutcomes(
        [topology.topics.output, topology.topics.deadLetter],
        () => produced?.inputs ?? Number.POSITIVE_INFINITY,
        (outcomes) => {
          const share = produced ? outcomes / produced.inputs : 0;
          if (!secondStarted && parityCase.secondWorkerAtShare > 0 && share >= parityCase.secondWorkerAtShare) {
            t.diagnostic(`second worker joins at ${outcomes} outcomes`);
            secondStarted = startWorker('w2');
          }
        },
      );
      await producing;
      await secondStarted;
      lap('online');
      assert.ok(produced, 'the stream was produced');
      assert.equal(workers.length, 2, 'both workers ran');
      for (const worker of workers.splice(0)) await worker.close();
      const scores = online.records.filter((record) => record.topic === topology.topics.output);
      const deadLetters = online.records.filter((record) => record.topic === topology.topics.deadLetter);
      t.diagnostic(
        `online ${online.stalled ? 'STALLED' : 'complete'} in ${timings['online']} ms: ${scores.length} scores + ` +
          `${deadLetters.length} dead letters of ${produced.inputs} inputs`,
      );

      // 3. Offline: the backfill over the same topics.
      const kafka = createKafka(topology, log);
      const serde = createAvroSerde(registryConnection(topology));
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
      lap('backfill');

      // 4. Compare.
      const comparison = compareFeatures(scores, backfill);
      lap('compare');
      t.diagnostic(`timings ms ${JSON.stringify(timings)}`);
      t.diagnostic(
        `backfill: ${backfill.manifest.rows} rows, ${backfill.manifest.labelsRead} labels; mismatched rows ` +
          `${comparison.mismatchedRows} of ${scores.length} scored, by feature ${JSON.stringify(comparison.perFeature)}`,
      );
      for (const line of comparison.shown) t.diagnostic(`mismatch: ${line}`);
      if (comparison.unscored.length > 0) t.diagnostic(`not scored online: ${comparison.unscored.join(', ')}`);

      assert.ok(!online.stalled, `online stalled at ${online.records.length} of ${produced.inputs} outcomes`);
      assert.equal(online.records.length, produced.inputs, 'every input has exactly one outcome');
      assert.equal(scores.length, produced.validInputs, 'every valid transaction is scored');
      const { manifest } = backfill;
      const eventsRead = manifest.inputs.events as TopicFingerprint;
      assert.equal(eventsRead.partitions.length, PARTITIONS);
      assert.equal(eventsRead.records, produced.inputs);
      assert.equal(manifest.rows, produced.validInputs, 'one table row per valid transaction');
      assert.equal(manifest.labelsRead, produced.labels);
      // The backfill skips exactly what the pipeline dead-lettered, for the same reasons.
      const reasons: Record<string, number> = {};
      for (const record of deadLetters) {
        const reason = record.value['reason'] as string;
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
      assert.deepEqual(eventsRead.skipped, Object.fromEntries(Object.entries(reasons).sort()));

      // The hand-made customer tie was resolved by log order: each of the three counts the ones before it.
      const tie = ['tie-c1', 'tie-c2', 'tie-c3'].map((id) => comparison.onlineById.get(id)!['customer_nb_tx_1d']!);
      assert.deepEqual(tie, [tie[0]!, tie[0]! + 1, tie[0]! + 2], 'customer tie resolved in log order');

      assert.equal(
        comparison.mismatchedRows,
        0,
        `${comparison.mismatchedRows} of ${scores.length} transactions differ online vs backfill; by feature ` +
          `${JSON.stringify(comparison.perFeature)}; first ${comparison.shown.length}:\n  ${comparison.shown.join('\n  ')}`,
      );
    });
  });
}
