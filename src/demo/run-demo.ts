import { Kafka, logLevel } from 'kafkajs';
import { isolateTopology, loadTopology, registryConnection, type Topology } from '../config/index.js';
import { createLogger, logLevelFor } from '../adapters/observability/logger.js';
import { createProgress } from '../adapters/observability/progress.js';
import { createAvroSerde } from '../adapters/registry/serde.js';
import { buildReport, formatReport, type BatchObservation, type LabelledScore } from '../core/report/score-report.js';
import type { SimulationOptions } from '../core/simulate/index.js';
import { kafkaSettingsFromTopology, simulateToKafka } from '../simulate/index.js';
import { createRedis } from '../adapters/redis/connect.js';
import { createPipeline, type PipelineContext } from '../runtime/context.js';
import { evaluateToEnd } from '../evaluation/index.js';
import { formatDrift, formatEvaluation } from './monitoring-summary.js';

interface DemoProgress {
  readonly transactions: number;
  readonly labels: number;
  readonly hostile: number;
  readonly batches: number;
  readonly rate: string;
}

export interface DemoOptions {
  readonly topologyFile: string;
  readonly simulation: Partial<SimulationOptions>;
  /** Keep the demo's topics and Redis keys afterwards, for inspection. */
  readonly keep: boolean;
  readonly out: NodeJS.WriteStream;
}

/**
 * The main job, for a person: simulated card traffic streams through a real pipeline on the local stack, with a live
 * progress line, and ends with a summary a person can read. Everything it creates is namespaced by a run id.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const runId = `demo-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}`;
  const topology = isolateTopology(loadTopology(options.topologyFile), runId, { metricsPort: 0 });
  const say = (line: string) => options.out.write(`${line}\n`);
  const { name, version } = topology.model;
  // An alias (champion) is resolved against the registry when the pipeline starts: its version follows there.
  const model = /^\d+$/.test(version) ? `${name}@${version}` : `${name}@${version}, resolved at start-up`;
  say(`fraudscore demo ${runId}: ${topology.topics.input} -> ${topology.topics.output} (model ${model})`);

  const batches: BatchObservation[] = [];
  const deadLetterReasons: Record<string, number> = {};
  let inputProcessed = 0;
  let inputExpected = Number.POSITIVE_INFINITY;
  let allProcessed: () => void = () => undefined;
  const processed = new Promise<void>((resolve) => (allProcessed = resolve));
  const started = performance.now();
  let firstCommitAt = 0;
  let lastCommitAt = 0;

  const pipeline = await createPipeline({
    topology,
    instanceId: 'demo',
    log: createLogger({ name: topology.name, level: logLevelFor('error') }),
    onCommitted: (summary, batch) => {
      lastCommitAt = performance.now();
      if (firstCommitAt === 0) firstCommitAt = lastCommitAt;
      batches.push({ size: batch.size, closeReason: batch.closeReason, latencyMs: batch.latencyMs });
      for (const [reason, n] of Object.entries(summary.deadLetterReasons))
        deadLetterReasons[reason] = (deadLetterReasons[reason] ?? 0) + n;
      inputProcessed += summary.transactions;
      if (inputProcessed >= inputExpected) allProcessed();
    },
  });
  say(
    `pipeline up: model ${pipeline.model.name}@${pipeline.model.version}, feature schema ${pipeline.model.featureSchemaVersion}, metrics on http://${pipeline.metricsAddress}/metrics`,
  );
  void pipeline.runner.start();

  let simulated = { transactions: 0, labels: 0, hostile: 0 };
  const progress = createProgress<DemoProgress>({
    stream: options.out,
    bar: '  produced {transactions} tx + {hostile} hostile + {labels} labels | processed {value} in {batches} batches | {rate} records/s',
    line: (processed, _total, p) =>
      `demo: produced ${p.transactions} tx + ${p.hostile} hostile + ${p.labels} labels | processed ${processed} in ${p.batches} batches | ${p.rate} records/s`,
  });
  const tick = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = (inputProcessed / Math.max(seconds, 0.001)).toFixed(0);
    // The total is not known until the simulation ends; the line shows counts, not a fraction.
    progress.update(inputProcessed, Math.max(inputProcessed, 1), { ...simulated, batches: batches.length, rate });
  };
  const ticker = setInterval(tick, 250);
  try {
    const simulation = await simulateToKafka({
      kafka: kafkaSettingsFromTopology(topology),
      simulation: options.simulation,
      onProgress: (p) => (simulated = { transactions: p.transactions, labels: p.labels, hostile: p.hostile }),
    });
    inputExpected = simulation.inputMessages;
    if (inputProcessed >= inputExpected) allProcessed();
    await processed;
  } finally {
    clearInterval(ticker);
    tick();
    progress.stop();
  }
  const wallSeconds = (lastCommitAt - started) / 1000;
  await pipeline.close();

  say('reading the scores back as a downstream consumer would (read_committed) and joining the simulated labels ...');
  const scores = await readScoresWithTruth(topology, inputProcessed);
  const report = buildReport({ batches, deadLetterReasons, scores, wallSeconds, processedRecords: inputProcessed });
  options.out.write(
    formatReport(report, `fraudscore demo ${runId} (model ${pipeline.model.name}@${pipeline.model.version})`),
  );
  await printMonitoring(options, topology, pipeline, scores);
  if (!options.keep) await removeRunData(topology);
}

/** Drift of the served model and its delayed-label evaluation, read back from the topics as `fraudscore evaluate` would. */
async function printMonitoring(
  options: DemoOptions,
  topology: Topology,
  pipeline: PipelineContext,
  scores: readonly LabelledScore[],
): Promise<void> {
  const model = `${pipeline.model.name}@${pipeline.model.version}`;
  const lines = formatDrift(
    model,
    pipeline.drift.snapshots().get(model),
    Float64Array.from(scores.map((s) => s.score)),
  );
  options.out.write(`${lines.join('\n')}\n`);
  const log = createLogger({ name: topology.name, level: logLevelFor('error') });
  const evaluation = await evaluateToEnd({ topology, log }).catch((error: unknown) => {
    options.out.write(`delayed labels   not evaluated: ${(error as Error).message}\n`);
    return undefined;
  });
  if (evaluation) options.out.write(`${formatEvaluation(evaluation.input).join('\n')}\n\n`);
}

async function readScoresWithTruth(topology: Topology, expectedOutcomes: number): Promise<LabelledScore[]> {
  const serde = createAvroSerde(registryConnection(topology));
  const kafka = new Kafka({
    clientId: 'fraudscore-demo-reader',
    brokers: [...topology.kafka.brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `${topology.consumerGroup}.reader`, readUncommitted: false });
  const truth = new Map<string, boolean>();
  const scored = new Map<string, { score: number; decision: LabelledScore['decision'] }>();
  let outcomes = 0;
  let labelsRead = 0;
  const admin = kafka.admin();
  await admin.connect();
  const labelEnd = (await admin.fetchTopicOffsets(topology.topics.labels)).reduce(
    (sum, p) => sum + Number(p.high) - Number(p.low),
    0,
  );
  await admin.disconnect();
  await consumer.connect();
  for (const topic of [topology.topics.output, topology.topics.labels, topology.topics.deadLetter]) {
    await consumer.subscribe({ topic, fromBeginning: true });
  }
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        if (batch.topic === topology.topics.labels) labelsRead++;
        if (batch.topic === topology.topics.deadLetter) {
          outcomes++;
          continue;
        }
        const decoded = await serde.decode(message.value);
        if (!decoded.ok) continue;
        const value = decoded.value;
        if (batch.topic === topology.topics.labels) {
          truth.set(
            value['transaction_id'] as string,
            value['is_fraud'] === true || truth.get(value['transaction_id'] as string) === true,
          );
        } else {
          outcomes++;
          scored.set(value['transaction_id'] as string, {
            score: value['score'] as number,
            decision: value['decision'] as LabelledScore['decision'],
          });
        }
      }
      if (outcomes >= expectedOutcomes && labelsRead >= labelEnd) done();
    },
  });
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 120_000))]);
  await consumer.disconnect();
  return [...scored].map(([id, s]) => ({ ...s, isFraud: truth.get(id) }));
}

async function removeRunData(topology: Topology): Promise<void> {
  const kafka = new Kafka({
    clientId: 'fraudscore-demo-cleanup',
    brokers: [...topology.kafka.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({
    topics: [topology.topics.input, topology.topics.output, topology.topics.labels, topology.topics.deadLetter],
  });
  await admin
    .deleteGroups([topology.consumerGroup, `${topology.consumerGroup}.reader`, `${topology.consumerGroup}.evaluator`])
    .catch(() => undefined);
  await admin.disconnect();
  const redis = createRedis(topology);
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${topology.redis.keyPrefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}
