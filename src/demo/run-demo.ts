import { Kafka, logLevel } from 'kafkajs';
import { isolateTopology, loadTopology, registryConnection, type Topology } from '../config/index.js';
import { createLogger, logLevelFor } from '../adapters/observability/logger.js';
import { createProgress } from '../adapters/observability/progress.js';
import { createAvroSerde } from '../adapters/registry/serde.js';
import { buildReport, formatReport, type BatchObservation, type LabelledScore } from '../core/report/score-report.js';
import type { SimulationOptions } from '../core/simulate/index.js';
import { kafkaSettingsFromTopology, simulateToKafka } from '../simulate/index.js';
import { createPipeline, type PipelineContext } from '../runtime/context.js';
import { evaluateToEnd } from '../evaluation/index.js';
import { formatDrift, formatEvaluation } from './monitoring-summary.js';
import { removeRunData } from './run-data.js';
import { catchStopSignals, StoppedBySignal, type CaughtStopSignals } from '../adapters/process/stop-signals.js';

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
 * progress line, and ends with a summary a person can read. Everything it creates is namespaced by a run id, and
 * removed at the end (unless `keep`), Ctrl-C included: a stop signal stops the pipeline and the simulator, removes the
 * run's topics and keys, and returns the signal (the caller ends the process with its code).
 */
export async function runDemo(options: DemoOptions): Promise<StoppedBySignal | null> {
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

  const stop = catchStopSignals();
  let opening: Promise<DemoPipeline> | undefined;
  let closed = false;
  try {
    opening = openPipeline(topology, stop.signal);
    const pipeline = await Promise.race([opening, stop.stopped]);
    const run = await streamThrough(options, topology, pipeline, stop);
    closed = true;
    await pipeline.context.close();

    say('reading the scores back as a downstream consumer would (read_committed) and joining the simulated labels ...');
    const scores = await Promise.race([readScoresWithTruth(topology, run.processed, say), stop.stopped]);
    const report = buildReport({
      ...pipeline.observed,
      scores,
      wallSeconds: run.wallSeconds,
      processedRecords: run.processed,
    });
    const { name: served, version: servedVersion } = pipeline.context.model;
    options.out.write(formatReport(report, `fraudscore demo ${runId} (model ${served}@${servedVersion})`));
    await Promise.race([printMonitoring(options, topology, pipeline.context, scores), stop.stopped]);
    if (!options.keep) await removeRunData(topology);
    return null;
  } catch (failure) {
    // Whatever a wait failed with once the signal came (the simulator's abort, say), the signal is why.
    const error = stop.signal.reason as unknown;
    if (!(error instanceof StoppedBySignal)) throw failure;
    say(
      `\ndemo interrupted (${error.stoppedBy}): stopping the pipeline and the simulator` +
        `${options.keep ? '' : ", then removing the run's topics and Redis keys"}; ${error.stopAtOnce}`,
    );
    const pipeline = await opening?.catch(() => undefined);
    if (pipeline && !closed) await pipeline.context.close().catch(() => undefined);
    if (!options.keep) await removeRunData(topology);
    say(
      `demo ${runId} stopped${options.keep ? '; its topics and keys are kept (--keep)' : '; its topics and keys are removed'}`,
    );
    return error;
  } finally {
    stop.release();
  }
}

/** The demo's pipeline, and what its commits report as they happen (read by the progress line and the summary). */
interface DemoPipeline {
  readonly context: PipelineContext;
  /** performance.now() when the pipeline began opening: the demo's wall time counts from there. */
  readonly startedAt: number;
  readonly observed: { readonly batches: BatchObservation[]; readonly deadLetterReasons: Record<string, number> };
  /** Transactions committed (scored or dead-lettered) so far, and when the last commit was (performance.now()). */
  readonly progress: () => { readonly processed: number; readonly lastCommitAt: number };
  /** Resolves once `processed` reaches the number given to expect(). */
  readonly allProcessed: Promise<void>;
  expect(inputMessages: number): void;
}

async function openPipeline(topology: Topology, signal: AbortSignal): Promise<DemoPipeline> {
  const batches: BatchObservation[] = [];
  const deadLetterReasons: Record<string, number> = {};
  let processed = 0;
  let expected = Number.POSITIVE_INFINITY;
  let resolveAll: () => void = () => undefined;
  const allProcessed = new Promise<void>((resolve) => (resolveAll = resolve));
  let lastCommitAt = 0;
  const startedAt = performance.now();
  const context = await createPipeline({
    topology,
    instanceId: 'demo',
    signal,
    log: createLogger({ name: topology.name, level: logLevelFor('error') }),
    onCommitted: (summary, batch) => {
      lastCommitAt = performance.now();
      batches.push({ size: batch.size, closeReason: batch.closeReason, latencyMs: batch.latencyMs });
      for (const [reason, n] of Object.entries(summary.deadLetterReasons))
        deadLetterReasons[reason] = (deadLetterReasons[reason] ?? 0) + n;
      processed += summary.transactions;
      if (processed >= expected) resolveAll();
    },
  });
  return {
    context,
    startedAt,
    observed: { batches, deadLetterReasons },
    progress: () => ({ processed, lastCommitAt }),
    allProcessed,
    expect: (inputMessages) => {
      expected = inputMessages;
      if (processed >= expected) resolveAll();
    },
  };
}

/** Simulates the traffic into the pipeline's input with a live progress line, until every record is processed. */
async function streamThrough(
  options: DemoOptions,
  topology: Topology,
  pipeline: DemoPipeline,
  stop: CaughtStopSignals,
): Promise<{ readonly processed: number; readonly wallSeconds: number }> {
  const { context } = pipeline;
  const say = (line: string) => options.out.write(`${line}\n`);
  say(
    `pipeline up: model ${context.model.name}@${context.model.version}, feature schema ${context.model.featureSchemaVersion}, metrics on http://${context.metricsAddress}/metrics`,
  );
  void context.runner.start();

  let simulated = { transactions: 0, labels: 0, hostile: 0 };
  const progress = createProgress<DemoProgress>({
    stream: options.out,
    bar: '  produced {transactions} tx + {hostile} hostile + {labels} labels | processed {value} in {batches} batches | {rate} records/s',
    line: (processed, _total, p) =>
      `demo: produced ${p.transactions} tx + ${p.hostile} hostile + ${p.labels} labels | processed ${processed} in ${p.batches} batches | ${p.rate} records/s`,
  });
  const tick = () => {
    const { processed } = pipeline.progress();
    const seconds = (performance.now() - pipeline.startedAt) / 1000;
    const rate = (processed / Math.max(seconds, 0.001)).toFixed(0);
    // The total is not known until the simulation ends; the line shows counts, not a fraction.
    const batches = pipeline.observed.batches.length;
    progress.update(processed, Math.max(processed, 1), { ...simulated, batches, rate });
  };
  const ticker = setInterval(tick, 250);
  try {
    const simulation = await simulateToKafka({
      kafka: kafkaSettingsFromTopology(topology),
      simulation: options.simulation,
      signal: stop.signal,
      onProgress: (p) => (simulated = { transactions: p.transactions, labels: p.labels, hostile: p.hostile }),
    });
    pipeline.expect(simulation.inputMessages);
    await Promise.race([pipeline.allProcessed, stop.stopped]);
  } finally {
    clearInterval(ticker);
    tick();
    progress.stop();
  }
  const { processed, lastCommitAt } = pipeline.progress();
  return { processed, wallSeconds: (lastCommitAt - pipeline.startedAt) / 1000 };
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

/** How long the demo reads its output back before it summarises what it has. */
const READ_BACK_LIMIT_MS = 120_000;

async function readScoresWithTruth(
  topology: Topology,
  expectedOutcomes: number,
  say: (line: string) => void,
): Promise<LabelledScore[]> {
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
  // The limit's timer is cleared once everything is read: left pending, it kept the process alive after the summary.
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, READ_BACK_LIMIT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
  await consumer.disconnect();
  if (outcomes < expectedOutcomes || labelsRead < labelEnd) {
    // The figures below would silently cover part of the run.
    say(
      `note: read back ${outcomes} of ${expectedOutcomes} outcomes and ${labelsRead} of ${labelEnd} labels within ` +
        `${READ_BACK_LIMIT_MS / 1000} s; the figures below cover those`,
    );
  }
  return [...scored].map(([id, s]) => ({ ...s, isFraud: truth.get(id) }));
}
