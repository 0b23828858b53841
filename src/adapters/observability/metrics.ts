import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The metric catalog: every metric the pipeline exports, in one place. Labels: topology, and stage where it applies. */
export function createPipelineMetrics(topology: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ topology });
  const latencyBuckets = [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000];
  const metrics = {
    registry,
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
  };
  return metrics;
}

export type PipelineMetrics = ReturnType<typeof createPipelineMetrics>;
