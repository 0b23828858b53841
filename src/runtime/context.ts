import { hostname } from 'node:os';
import type { Consumer } from 'kafkajs';
import { labelDelayMsOf, registryConnection, type StartupService, type Topology } from '../config/index.js';
import { createKafka } from '../adapters/kafka/kafka-client.js';
import { ensureTopics } from '../adapters/kafka/topics.js';
import { createTransactionalSink } from '../adapters/kafka/transactional-sink.js';
import { createLogger, logLevelFor, type Logger } from '../adapters/observability/logger.js';
import { createPipelineMetrics, type PipelineMetrics } from '../adapters/observability/metrics.js';
import { DriftMonitor } from '../adapters/observability/drift-monitor.js';
import { checkListenable, startObservabilityServer } from '../adapters/observability/http-server.js';
import { createAvroSerde } from '../adapters/registry/serde.js';
import { readContractSchema } from '../adapters/registry/contract-schemas.js';
import { createFeatureEngine } from '../core/features/engine.js';
import { DEFAULT_LATENESS_MARGIN_MS, defineFeatureSet } from '../core/features/definitions.js';
import { createRedisFeatureState, topologyFeatureStateOptions } from '../adapters/redis/feature-state.js';
import { connectRedis, createRedis, logRedisErrors } from '../adapters/redis/connect.js';
import { loadModel, loadServingModel } from './load-model.js';
import { ControlFollower, ensureControlTopic } from '../adapters/kafka/control/index.js';
import { controlTopicName } from '../core/control/index.js';
import { readerSilence } from '../core/monitoring/index.js';
import { createWorkerStatusStore, STATUS_REFRESH_MS, workerStatusKey } from '../adapters/redis/worker-status.js';
import { parseModelRef } from '../core/models/ref.js';
import { watchRegistryChampion } from './champion-watch.js';
import { Serving } from './serving.js';
import { createBatchScorer } from './score-batch.js';
import { OutputSchemas } from './output-schemas.js';
import { Runner } from './runner.js';
import type { RunnerDeps } from './runner-deps.js';
import { createAlignment, createTimeReader } from './alignment.js';
import { connecting, listening, WORKER_METRICS_ADDRESS } from './startup-errors.js';
import { sessionTimeoutMs, workerConsumerConfig } from './consumer-config.js';
import { registerContractSchemas, watchUnreadableVersions } from './contract-subjects.js';
import { countingStateBehind, createStateCheck } from './state-check.js';
import { StartupScope } from './startup-scope.js';
import { closeOnce } from './pipeline-close.js';

/** Why a worker whose probes answer is not ready yet, when nothing else is in the way. */
const STARTING = 'start-up is not finished: the pipeline is being assembled';

export interface PipelineContext {
  readonly runner: Runner;
  /** The group consumer, for its instrumentation events (GROUP_JOIN, REBALANCING, ...). */
  readonly consumer: Consumer;
  readonly log: Logger;
  readonly metrics: PipelineMetrics;
  readonly metricsAddress: string;
  /** The drift windows of every model that decided a batch, by `name@version` (the demo prints their snapshots). */
  readonly drift: DriftMonitor;
  /** The model the topology file names (what serves before any control record). */
  readonly model: { name: string; version: string; featureSchemaVersion: string };
  /** What this worker serves now, following the control topic. */
  readonly serving: Serving;
  readonly instanceId: string;
  /**
   * Flushes, commits, leaves the group, closes every connection. One close for every caller; a connection that fails
   * to close does not keep the others open, and the promise then rejects (pipeline-close.ts).
   */
  close(): Promise<void>;
}

export interface ContextOptions {
  readonly topology: Topology;
  /** Distinguishes workers of one topology; part of the stable transactional id. */
  readonly instanceId?: string;
  readonly log?: Logger;
  readonly onCommitted?: RunnerDeps['onCommitted'];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Overrides the topology's metrics port (0 = any free port; tests). */
  readonly metricsPort?: number;
  /** Aborts start-up (SIGTERM before the pipeline is ready): it closes what it had opened and rejects with the reason. */
  readonly signal?: AbortSignal;
}

/** The worker's logger: JSON lines on stdout, at FRAUDSCORE_LOG_LEVEL (default info). */
export function pipelineLogger(
  topology: Topology,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Logger {
  return createLogger({ name: topology.name, level: logLevelFor('info', env) });
}

/**
 * The composition root: turns a validated topology into a running pipeline. A start-up that fails or is aborted
 * closes what it had opened (StartupScope), and a failure that configuration explains (credentials, TLS trust) is
 * rethrown as a StartupError naming the field and the fix.
 */
export async function createPipeline(options: ContextOptions): Promise<PipelineContext> {
  const scope = new StartupScope(options.signal);
  try {
    const pipeline = await startPipeline(options, scope);
    scope.throwIfAborted();
    return pipeline;
  } catch (error) {
    await scope.close();
    throw error;
  }
}

async function startPipeline(options: ContextOptions, scope: StartupScope): Promise<PipelineContext> {
  const { topology } = options;
  const env = options.env ?? process.env;
  const instanceId = options.instanceId ?? env['FRAUDSCORE_INSTANCE_ID'] ?? hostname();
  const log = options.log ?? pipelineLogger(topology, env);
  const opened = (close: () => unknown) => scope.opened(close);
  /** One step of start-up: its failure explained (startup-errors), and over at once if start-up is aborted. */
  const step = <T>(service: StartupService, work: () => Promise<T>) =>
    scope.step(() => connecting(service, topology, work));
  const metricsAddress = { host: topology.metrics.host, port: options.metricsPort ?? topology.metrics.port };
  /** Listening on the metrics address: a failure names metrics.host or metrics.port and the fix. */
  const onMetricsAddress = <T>(work: () => Promise<T>) =>
    scope.step(() => listening(metricsAddress, WORKER_METRICS_ADDRESS, work));
  // The server starts late (its probes answer once the pipeline is assembled, below); an address another process holds
  // (a second worker on this host, the evaluator) fails now, not after the model, Redis, Kafka and the control topic.
  await onMetricsAddress(() => checkListenable(metricsAddress.host, metricsAddress.port));
  const metrics = createPipelineMetrics(topology.name);
  const clock = () => Date.now();
  const redis = createRedis(topology, env);
  opened(() => redis.disconnect());

  const engine = createFeatureEngine({
    state: createRedisFeatureState(redis, {
      ...topologyFeatureStateOptions(topology),
      onReplicaBytes: (bytes) => metrics.featureReplicaBytes.set(bytes),
      onWholeLogs: (count) => metrics.featureReplicaWholeLogs.inc(count),
    }),
    labelDelayMs: labelDelayMsOf(topology),
  });
  // Refuses a model whose artifact SHA or feature schema does not match, before any connection to Kafka.
  const model = await step('model', () => loadServingModel(topology, engine.schema));
  opened(() => model.scorer.close());
  // Redis first: the cheapest connection, so wrong credentials fail before any topic is created.
  await step('redis', () => connectRedis(redis));
  logRedisErrors(redis, log);
  metrics.modelInfo.set({ model: model.name, version: model.version, feature_schema: model.featureSchemaVersion }, 1);

  const kafka = createKafka(topology, log, env);
  const created = await step('kafka', () =>
    ensureTopics(
      kafka,
      [topology.topics.input, topology.topics.output, topology.topics.labels, topology.topics.deadLetter],
      topology.topics.partitions,
      [topology.topics.input, topology.topics.labels],
    ),
  );
  if (created.length > 0) log.info({ topics: created }, 'created missing topics');
  if (await step('kafka', () => ensureControlTopic(kafka, topology.name))) {
    log.info({ topology: topology.name }, 'created the control topic');
  }

  const serde = createAvroSerde(registryConnection(topology, env));
  const schemaIds = await step('registry', () => registerContractSchemas(serde, topology, { log, env }));
  const versionWatch = await step('registry', () =>
    watchUnreadableVersions(topology, {
      log,
      env,
      count: (subject, unreadable) => metrics.unreadableSchemaVersions.set({ subject }, unreadable),
    }),
  );
  opened(() => versionWatch.stop());

  const sessionTimeout = sessionTimeoutMs(topology);
  const sink = await step('kafka', () =>
    createTransactionalSink(kafka, {
      transactionalId: `fraudscore.${topology.name}.${instanceId}`,
      consumerGroupId: topology.consumerGroup,
      // A heartbeat (3 s), the broker's abort sweep (10 s) and 2 s of margin short of the session (sink's doc).
      transactionTimeoutMs: sessionTimeout - 15_000,
    }),
  );
  opened(() => sink.disconnect());
  const consumer: Consumer = kafka.consumer(workerConsumerConfig(topology));
  opened(() => consumer.disconnect());
  await step('kafka', () => consumer.connect());

  const statusStore = createWorkerStatusStore(redis, workerStatusKey(topology.redis.keyPrefix), clock);
  const publishStatus = (status: object): void =>
    void statusStore
      .publish(instanceId, status)
      .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not publish the serving status'));
  const serving = new Serving({
    defaults: { champion: `${model.name}@${model.version}`, window: topology.batch },
    initial: model,
    load: (text) => {
      const ref = parseModelRef(text);
      if (!ref.ok) return Promise.reject(new Error(ref.problem));
      return loadModel(topology.model.registry, ref.ref.name, ref.ref.version, engine.schema);
    },
    log,
    metrics,
    clock,
    onStatus: publishStatus,
  });
  opened(() => serving.close());
  // Rewritten while the worker runs, so that `control status` tells a live worker from one gone without a word.
  const statusRefresh = setInterval(() => publishStatus(serving.status()), STATUS_REFRESH_MS);
  statusRefresh.unref();
  opened(async () => {
    clearInterval(statusRefresh);
    await statusStore.withdraw(instanceId);
  });
  // The current control state is known and its models loaded before the first batch: a worker started during a
  // kill or a rollout serves what every other worker serves. A refused view is retried until it loads: start-up waits
  // rather than score with the topology file's model, which may be the very model the kill switch replaced.
  const follower = new ControlFollower({
    kafka,
    topology: topology.name,
    onView: (view) => void serving.offer(view),
    onFetch: (atMs) => metrics.controlLastFetch.set(atMs / 1000),
    clock,
    log,
  });
  metrics.controlLastFetch.set(follower.lastFetchAtMs() / 1000);
  opened(() => follower.stop());
  await step('kafka', () => follower.start());
  await scope.step(() => follower.ready);
  await scope.step(() => serving.offer(follower.current()));
  // The probes answer from here on: a worker that waits below for the control state's models is alive (/livez 200, so
  // Kubernetes' start-up probe passes and does not restart it every 5 minutes) and not ready (/healthz 503, the reason).
  const assembled: { runner?: Runner } = {};
  const unhealthyReason = (): string | null =>
    assembled.runner?.unhealthyReason() ??
    serving.unreadyReason() ??
    (follower.rerunPending()
      ? `the reader of ${controlTopicName(topology.name)} lost its group coordinator and waits to run again ` +
        '(no broker answered, or this client may not use its group: an ACL); control changes, the kill ' +
        'switch included, do not reach this worker meanwhile'
      : null) ??
    readerSilence(
      {
        name: `the reader of ${controlTopicName(topology.name)}`,
        consequence:
          'control changes, the kill switch included, do not reach this worker, which serves the control ' +
          'state it last read',
        lastFetchAtMs: follower.lastFetchAtMs(),
      },
      clock(),
    ) ??
    (assembled.runner ? null : STARTING);
  metrics.onReadinessRead(() => unhealthyReason() === null);
  const http = await onMetricsAddress(() =>
    startObservabilityServer({
      ...metricsAddress,
      registry: metrics.registry,
      health: {
        unhealthyReason,
        wedgedReason: () => assembled.runner?.wedgedReason() ?? null,
        details: () => ({ instanceId, control: serving.status() }),
      },
    }),
  );
  opened(() => http.close());
  const refused = serving.unreadyReason();
  if (refused !== null) {
    log.warn(
      { reason: refused, metrics: http.address },
      'start-up waits until the newest control state can be served (alive on /livez, not ready on /healthz)',
    );
  }
  await scope.step(() =>
    Promise.race([
      serving.untilNewestApplied(),
      // A control reader that stops meanwhile would leave start-up waiting for a view that can no longer come.
      follower.failed.then((error) => Promise.reject(error)),
    ]),
  );
  const championWatch = watchRegistryChampion(topology, serving, `${model.name}@${model.version}`, log, clock);
  opened(() => championWatch?.stop());

  const scoreBatch = countingStateBehind(
    createBatchScorer({
      serde,
      engine,
      serving,
      decision: topology.decision,
      topics: topology.topics,
      // Checked against the registry while running: one that lost its state must not get outputs with stale ids.
      outputSchemas: new OutputSchemas({
        serde,
        initial: schemaIds,
        schemas: { score: readContractSchema('score'), deadLetter: readContractSchema('dead-letter') },
        register: () => registerContractSchemas(serde, topology, { log, env }),
        log,
        clock,
      }),
      clock,
    }),
    metrics,
  );
  const alignment = await step('kafka', () => createAlignment(topology, kafka, redis, DEFAULT_LATENESS_MARGIN_MS));
  opened(() => alignment.close());
  // The start-up model's window exists from the start; a model that decides later (promoted, the kill switch's
  // target, a rollout's challenger) gets its own when it first decides a batch, and loses it, with its series, once
  // the plan a committed batch was scored with no longer lets it decide.
  const drift = new DriftMonitor({
    models: [model],
    featureNames: engine.schema.names,
    featureDefinitions: defineFeatureSet({ labelDelayMs: labelDelayMsOf(topology) }),
    policy: {
      maxRecords: topology.monitoring.drift.windowRecords,
      maxAgeMs: topology.monitoring.drift.windowMs,
      minRecords: topology.monitoring.drift.minRecords,
    },
    metrics,
    log,
    clock,
  });
  const runner = new Runner({
    consumer,
    sink,
    scoreBatch,
    window: topology.batch,
    beforeBatch: () => serving.beforeBatch(),
    topics: [topology.topics.labels, topology.topics.input],
    labelsTopic: topology.topics.labels,
    checkState: createStateCheck({
      kafka,
      redis,
      keyPrefix: topology.redis.keyPrefix,
      groupId: topology.consumerGroup,
      inputTopic: topology.topics.input,
      engine,
      log,
      metrics,
    }),
    timeOf: createTimeReader(serde, topology.topics.labels),
    alignment,
    batchIdPrefix: `${topology.name}-${instanceId}-${clock().toString(36)}`,
    log,
    metrics,
    clock,
    // Heartbeats go every 3 s; 5 s short of the session leaves room for one lost and the coordinator's clock.
    membershipLeaseMs: sessionTimeout - 5_000,
    onCommitted: (summary, batch) => {
      drift.record(summary);
      for (const [key, n] of Object.entries(summary.decidedBy)) {
        const [modelVersion, route] = key.split('|');
        metrics.decidedBy.inc({ model_version: modelVersion, route }, n);
      }
      for (const [key, n] of Object.entries(summary.challengerFailures)) {
        const [modelVersion, reason] = key.split('|');
        metrics.challengerFailures.inc({ model_version: modelVersion, reason }, n);
      }
      options.onCommitted?.(summary, batch);
    },
  });

  // A worker that can no longer follow the control topic would go on scoring deaf to the kill switch.
  void follower.failed.then((error) => runner.failWith('control', error));

  assembled.runner = runner;
  log.info(
    {
      model: `${model.name}@${model.version}`,
      featureSchema: model.featureSchemaVersion,
      metrics: http.address,
      instanceId,
    },
    'pipeline ready',
  );

  return {
    runner,
    consumer,
    log,
    metrics,
    metricsAddress: http.address,
    drift,
    model: { name: model.name, version: model.version, featureSchemaVersion: model.featureSchemaVersion },
    serving,
    instanceId,
    close: closeOnce(
      [
        { name: 'status refresh', close: () => clearInterval(statusRefresh) },
        { name: 'runner', close: () => runner.stop() },
        { name: 'alignment', close: () => alignment.close() },
        { name: 'control reader', close: () => follower.stop() },
        { name: 'champion watch', close: () => championWatch?.stop() },
        { name: 'schema version watch', close: () => versionWatch.stop() },
        { name: 'metrics server', close: () => http.close() },
        { name: 'serving', close: () => serving.close() },
        {
          // A worker that stops says so: `control status` no longer lists it (one that crashes goes silent instead).
          // Not a failed stop when Redis is away: everything is committed, and `control status` stops counting an entry
          // that is no longer refreshed.
          name: 'serving status',
          close: () =>
            statusStore
              .withdraw(instanceId)
              .catch((error: unknown) =>
                log.warn({ err: (error as Error).message }, 'could not withdraw the serving status'),
              ),
        },
        { name: 'redis', close: () => redis.disconnect() },
      ],
      log,
    ),
  };
}
