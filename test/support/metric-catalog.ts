import { Histogram, type Registry } from 'prom-client';
import { createEvaluatorMetrics, createPipelineMetrics } from '../../src/adapters/observability/metrics.js';

/**
 * Every series name a registry exports (never a hand-kept list): counters and gauges by name, histograms as their
 * _bucket, _count and _sum series.
 */
async function seriesNames(registry: Registry): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    if (registry.getSingleMetric(metric.name) instanceof Histogram)
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
    else names.add(metric.name);
  }
  return names;
}

/** Every series name a worker (`fraudscore run`) exports, read from the metric catalog's registry. */
export async function workerSeriesNames(): Promise<Set<string>> {
  return seriesNames(createPipelineMetrics('catalog').registry);
}

/** Every series name the evaluator (`fraudscore evaluate`) exports, read from its catalog's registry. */
export async function evaluatorSeriesNames(): Promise<Set<string>> {
  return seriesNames(createEvaluatorMetrics('catalog').registry);
}

/** Every series name of ours Prometheus can scrape: a worker's and the evaluator's. */
export async function exportedSeriesNames(): Promise<Set<string>> {
  return new Set([...(await workerSeriesNames()), ...(await evaluatorSeriesNames())]);
}

/** Names of fraudscore series a PromQL expression reads (recording rules, `fraudscore:…`, are not series of ours). */
export function seriesNamesIn(expr: string): string[] {
  return [...new Set(expr.match(/\bfraudscore_[a-z0-9_]+/g) ?? [])];
}

/** The upper bounds (`le`) of the batch latency histogram, as the worker exports them. */
export async function batchLatencyBuckets(): Promise<number[]> {
  const metrics = createPipelineMetrics('catalog');
  metrics.batchLatency.observe(1);
  const { values } = await metrics.batchLatency.get();
  return values
    .filter((v) => v.metricName === 'fraudscore_batch_latency_ms_bucket' && v.labels['le'] !== '+Inf')
    .map((v) => Number(v.labels['le']));
}
