import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CloseReason } from '../../core/batch/batch-window.js';
import { DeadLetterReason, ScoreReasonCode } from '../../core/contract/reasons.js';
import { DECISIONS } from '../../core/scoring/decide.js';

/**
 * How far ahead of the worker's clock a time may be and still be taken as the newest of its stream: the clock skew
 * between a producer and the worker, which NTP keeps to well under a second. The contract accepts event times up to
 * 24 h ahead, and the gauge only moves up: one transaction dated 20 h ahead would otherwise pin the gauge there until
 * a restart (and FraudscoreLabelsQuiet fire for as long on a healthy labels feed), one far-future label switch the
 * rule's first clause off. Held to the slack, such a time is overtaken by the stream within the slack.
 */
export const NEWEST_TAKEN_CLOCK_SLACK_MS = 5 * 60_000;

/**
 * Where a worker checks its feature state against the committed offsets (fraudscore_feature_state_behind_total's
 * `check`): src/runtime/state-check.ts.
 */
const FEATURE_STATE_CHECKS = ['assignment', 'batch'] as const;

/** Every close reason of a batch, each once: the record's type makes leaving one out a compile error. */
const CLOSE_REASONS = Object.keys({
  size: true,
  time: true,
  drained: true,
  shutdown: true,
  rebalance: true,
} satisfies Record<CloseReason, true>) as CloseReason[];

/**
 * The metric catalog: every metric fraudscore exports, in one place, as two sets on registries of their own: a worker's
 * (`fraudscore run`, below) and the evaluator's (`fraudscore evaluate`, createEvaluatorMetrics). No name is in both:
 * rules and panels that read a worker metric never see an evaluator target, whatever the scrape configuration.
 * Labels: topology, and stage where it applies.
 */
export function createPipelineMetrics(topology: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ topology });
  const latencyBuckets = [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000];
  // The drift gauges are brought up to date when they are read (a scrape), by whatever the drift monitor sets here:
  // a drift snapshot sorts the whole window, too much for every batch.
  let refreshDrift: () => void = () => undefined;
  const collect = (): void => refreshDrift();
  // Read at each scrape from what the worker's /healthz answers: not ready until the worker says otherwise.
  let readReady: () => boolean = () => false;
  const newestTakenMs = { transactions: Number.NEGATIVE_INFINITY, labels: Number.NEGATIVE_INFINITY };
  const metrics = {
    registry,
    /** Sets what fraudscore_ready reads at each scrape: whether /healthz would answer 200 (runtime/context.ts). */
    onReadinessRead(read: () => boolean): void {
      readReady = read;
    },
    /** Sets what brings the drift gauges up to date before each read of them (DriftMonitor). */
    onDriftRead(refresh: () => void): void {
      refreshDrift = refresh;
    },
    /**
     * Moves fraudscore_newest_taken_time_seconds of a stream to `ms` when it is newer than what it shows, `ms` held
     * to at most NEWEST_TAKEN_CLOCK_SLACK_MS ahead of the worker's clock (`nowMs`). Held, not dropped: `ms` is a
     * batch's newest time, and one far-dated record in it must not hide the progress of the rest of the batch.
     */
    takeNewest(stream: keyof typeof newestTakenMs, ms: number, nowMs: number = Date.now()): void {
      const taken = Math.min(ms, nowMs + NEWEST_TAKEN_CLOCK_SLACK_MS);
      if (!(taken > newestTakenMs[stream])) return;
      newestTakenMs[stream] = taken;
      metrics.newestTaken.set({ stream }, taken / 1000);
    },
    recordsIn: new Counter({
      name: 'fraudscore_records_in_total',
      help: 'Records consumed',
      labelNames: ['topic'],
      registers: [registry],
    }),
    scored: new Counter({
      name: 'fraudscore_records_scored_total',
      help: 'Scores published',
      labelNames: ['decision'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'fraudscore_records_dead_lettered_total',
      help: 'Dead letters published',
      labelNames: ['reason'],
      registers: [registry],
    }),
    reasonCodes: new Counter({
      name: 'fraudscore_score_reason_codes_total',
      help: 'Reason codes attached to published scores',
      labelNames: ['code'],
      registers: [registry],
    }),
    labelsIngested: new Counter({
      name: 'fraudscore_labels_ingested_total',
      help: 'Labels recorded into the feature state',
      registers: [registry],
    }),
    // No series for a stream before its first record since the start: a 0 would read as a feed 56 years behind.
    newestTaken: new Gauge({
      name: 'fraudscore_newest_taken_time_seconds',
      help: 'Newest time taken into the feature state since the worker started, unix seconds: event time (stream="transactions"), reported_at (stream="labels")',
      labelNames: ['stream'],
      registers: [registry],
    }),
    batches: new Counter({
      name: 'fraudscore_batches_total',
      help: 'Committed batches by close reason',
      labelNames: ['close_reason'],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'fraudscore_batch_size_records',
      help: 'Records per committed batch',
      buckets: [1, 10, 50, 100, 250, 500, 750, 1000],
      registers: [registry],
    }),
    stageLatency: new Histogram({
      name: 'fraudscore_stage_latency_ms',
      help: 'Per-batch latency of each stage',
      labelNames: ['stage'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    batchLatency: new Histogram({
      name: 'fraudscore_batch_latency_ms',
      help: 'Batch close to transaction committed',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'fraudscore_errors_total',
      help: 'Infrastructure errors by stage (the batch was retried)',
      labelNames: ['stage'],
      registers: [registry],
    }),
    featureStateBehind: new Counter({
      name: 'fraudscore_feature_state_behind_total',
      help:
        'Feature state found missing or behind the input (Redis lost data): at partition assignment (check=assignment) ' +
        'or as a refused batch (check=batch); scoring pauses until `fraudscore state rebuild`',
      labelNames: ['check'],
      registers: [registry],
    }),
    featureReplicaBytes: new Gauge({
      name: 'fraudscore_feature_replica_bytes',
      help: "Bytes the worker's replica of the feature state holds (at most the topology's redis.replicaBudgetMiB)",
      registers: [registry],
    }),
    featureReplicaWholeLogs: new Counter({
      name: 'fraudscore_feature_replica_whole_logs_total',
      help:
        'Entity logs fetched whole from Redis instead of what was appended since the replica (new or dropped ' +
        'replicas, rewritten logs); rising with every batch: redis.replicaBudgetMiB is too small',
      registers: [registry],
    }),
    unreadableSchemaVersions: new Gauge({
      name: 'fraudscore_unreadable_schema_versions',
      help:
        'Versions registered under a subject the worker reads (input, labels) that its contract schema cannot read, ' +
        'as found at start-up and every 5 minutes: records written with one are dead-lettered WRONG_SCHEMA (the log ' +
        'names each version)',
      labelNames: ['subject'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'fraudscore_batch_retries_total',
      help: 'Batch attempts that were aborted and retried',
      registers: [registry],
    }),
    modelInfo: new Gauge({
      name: 'fraudscore_model_info',
      help: 'Serving model (value 1)',
      labelNames: ['model', 'version', 'feature_schema'],
      registers: [registry],
    }),
    modelsLoaded: new Gauge({
      name: 'fraudscore_models_loaded',
      help:
        'Models this worker holds loaded (an onnxruntime session each): those its plans, the kill switch and ' +
        'changes being prepared need; the others are released at the next batch boundary',
      registers: [registry],
    }),
    // Model lifecycle (control topic, shadow, rollout, kill switch): src/core/control.
    controlAppliedVersion: new Gauge({
      name: 'fraudscore_control_applied_version',
      help: 'Version of the control record this worker applies (0: none yet, the topology file decides)',
      registers: [registry],
    }),
    controlSeenVersion: new Gauge({
      name: 'fraudscore_control_seen_version',
      help: 'Newest control version this worker has read: above fraudscore_control_applied_version while a change loads, or after it was refused',
      registers: [registry],
    }),
    controlLastFetch: new Gauge({
      name: 'fraudscore_control_last_fetch_timestamp_seconds',
      help:
        'When the control topic reader last completed a fetch (every 250 ms while it works): older than 30 s, ' +
        'control changes and the kill switch no longer reach this worker',
      registers: [registry],
    }),
    batchWindowMaxRecords: new Gauge({
      name: 'fraudscore_batch_window_max_records',
      help: 'Batch window in force: records at which a batch closes (topology default or control override)',
      registers: [registry],
    }),
    batchWindowMaxWaitMs: new Gauge({
      name: 'fraudscore_batch_window_max_wait_ms',
      help: 'Batch window in force: longest wait of the oldest record before a batch closes',
      registers: [registry],
    }),
    batchWindowMinRecords: new Gauge({
      name: 'fraudscore_batch_window_min_records',
      help: 'Batch window in force: records at which a batch closes once its partitions are read to their ends (0: never)',
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'fraudscore_ready',
      help: '1 while the worker is ready (/healthz 200), 0 while not: its /healthz and log say why',
      registers: [registry],
      collect() {
        this.set(readReady() ? 1 : 0);
      },
    }),
    killSwitchActive: new Gauge({
      name: 'fraudscore_kill_switch_active',
      help: '1 while the kill switch is on and the rollback target serves',
      registers: [registry],
    }),
    rolloutPercent: new Gauge({
      name: 'fraudscore_rollout_percent',
      help: 'Share of customers routed to the challenger (0 in shadow mode)',
      labelNames: ['challenger'],
      registers: [registry],
    }),
    decidedBy: new Counter({
      name: 'fraudscore_records_decided_total',
      help: 'Scores published, by the model version that decided and its route (champion, challenger, kill_switch)',
      labelNames: ['model_version', 'route'],
      registers: [registry],
    }),
    challengerFailures: new Counter({
      name: 'fraudscore_challenger_failures_total',
      help: "Challenger scores that failed (error, non-finite, timeout); the champion's decision stands",
      labelNames: ['model_version', 'reason'],
      registers: [registry],
    }),
    // Drift against the serving model card's reference distributions: src/core/monitoring.
    featurePsi: new Gauge({
      name: 'fraudscore_feature_psi',
      help: 'PSI of a feature over the rolling window against the model card reference (absent: insufficient data)',
      labelNames: ['model_version', 'feature'],
      registers: [registry],
      collect,
    }),
    scorePsi: new Gauge({
      name: 'fraudscore_score_psi',
      help: 'PSI of the score over the rolling window against the model card reference',
      labelNames: ['model_version'],
      registers: [registry],
      collect,
    }),
    scoreKsStatistic: new Gauge({
      name: 'fraudscore_score_ks_statistic',
      help: 'Two-sample KS statistic of the score window against the card reference sample',
      labelNames: ['model_version'],
      registers: [registry],
      collect,
    }),
    scoreKsPValue: new Gauge({
      name: 'fraudscore_score_ks_pvalue',
      help: 'p-value of the two-sample KS test of the score window against the card reference sample',
      labelNames: ['model_version'],
      registers: [registry],
      collect,
    }),
    scoreQuantile: new Gauge({
      name: 'fraudscore_score_quantile',
      help: "Score quantiles over the rolling window (quantile: 0.1, 0.5, 0.9, 0.99; numpy's default linear interpolation)",
      labelNames: ['model_version', 'quantile'],
      registers: [registry],
      collect,
    }),
    driftWindowRecords: new Gauge({
      name: 'fraudscore_drift_window_records',
      help: 'Records in the rolling drift window (below the minimum, drift gauges are absent: insufficient data)',
      labelNames: ['model_version'],
      registers: [registry],
    }),
    // Exported beside the window size so that "the window is filled" is one comparison in PromQL, whatever the
    // topology's monitoring.drift.minRecords: a dashboard that assumed the default would lie for any other setting.
    driftWindowMinRecords: new Gauge({
      name: 'fraudscore_drift_window_min_records',
      help: "Records the rolling drift window needs before the drift gauges appear (the topology's monitoring.drift.minRecords)",
      labelNames: ['model_version'],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'fraudscore_consumer_lag_records',
      help: 'Records behind the end of each assigned partition, as of the last fetch',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
  };
  // Every series of a counter the alert rules read with rate() or increase() exists from the start, at 0: neither
  // counts an increase before a series' first sample, so a series created by its first increment reads as nothing
  // until it moves again. The outcomes the dead-letter ratio divides, the batches of the availability ratio, the
  // model-output reason codes of FraudscoreFallbackScores, and the state checks of FraudscoreFeatureStateLost: found
  // behind once at assignment on a partition with nothing waiting, the check is never counted again.
  for (const reason of Object.values(DeadLetterReason)) metrics.deadLettered.inc({ reason }, 0);
  for (const decision of DECISIONS) metrics.scored.inc({ decision }, 0);
  for (const close_reason of CLOSE_REASONS) metrics.batches.inc({ close_reason }, 0);
  for (const code of Object.values(ScoreReasonCode)) metrics.reasonCodes.inc({ code }, 0);
  for (const check of FEATURE_STATE_CHECKS) metrics.featureStateBehind.inc({ check }, 0);
  return metrics;
}

export type PipelineMetrics = ReturnType<typeof createPipelineMetrics>;

/**
 * What `fraudscore evaluate` exports, and nothing else: a process that is not a worker must not export a worker's
 * series (a worker-less `fraudscore_control_applied_version 0` would read as a worker behind its peers).
 */
export function createEvaluatorMetrics(topology: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ topology });
  return {
    registry,
    // Delayed-label evaluation (labels joined with logged predictions): src/core/monitoring.
    // Their model_version label holds name@version: versions are numbered per model name, so two models can share one.
    // Each pools a model's latest windowDays final scoring days (DelayedLabelJoin.live), unless it says otherwise.
    evalMetric: new Gauge({
      name: 'fraudscore_eval_metric',
      help: 'Delayed-label metric over the latest final scoring days pooled (metric: auc, average_precision, card_precision_at_100, alert_rate, recall_block, recall_review); absent below minLabelled labelled records',
      labelNames: ['model_version', 'metric'],
      registers: [registry],
    }),
    evalLabelled: new Gauge({
      name: 'fraudscore_eval_labelled_records',
      help: 'Scored records of the latest final scoring days pooled, each with its matured label, per model (model_version: name@version)',
      labelNames: ['model_version'],
      registers: [registry],
    }),
    evalFraudAmount: new Gauge({
      name: 'fraudscore_eval_fraud_amount',
      help: "Fraud amount by decision (BLOCK, REVIEW, APPROVE) over the latest final scoring days pooled, in each transaction's currency (major units), summed",
      labelNames: ['model_version', 'decision'],
      registers: [registry],
    }),
    evalOfflineMismatch: new Gauge({
      name: 'fraudscore_eval_offline_online_mismatch',
      help: "1 when a live metric differs from the model card's held-out figure by more than 2.394 standard errors of the difference (the card interval's and the live sample's, combined; 5 % for the model's three metrics together)",
      labelNames: ['model_version', 'metric'],
      registers: [registry],
    }),
    evalFalseAlerts: new Gauge({
      name: 'fraudscore_eval_false_alerts',
      help: 'Genuine transactions flagged (REVIEW or BLOCK) over the pooled matured days',
      labelNames: ['model_version'],
      registers: [registry],
    }),
    evalLatestMaturedDay: new Gauge({
      name: 'fraudscore_eval_latest_matured_day_seconds',
      help: 'Start (unix seconds, UTC) of the latest scoring day whose labels have matured, per model (name@version)',
      labelNames: ['model_version'],
      registers: [registry],
    }),
    evalOpenDays: new Gauge({
      name: 'fraudscore_eval_open_days',
      help: 'Scoring days still waiting for their labels to mature (the evaluator holds their predictions)',
      registers: [registry],
    }),
    // Not the worker's fraudscore_consumer_lag_records: the evaluator rereads both topics from their beginning at every
    // start, and its lag summed with the workers' would read as workers falling behind.
    consumerLag: new Gauge({
      name: 'fraudscore_eval_consumer_lag_records',
      help: 'Records the evaluator is behind the end of each partition of the output and labels topics, as of its last fetch',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
  };
}

export type EvaluatorMetrics = ReturnType<typeof createEvaluatorMetrics>;
