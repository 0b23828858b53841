import { Histogram } from 'prom-client';
import { createPipelineMetrics } from '../../src/adapters/observability/metrics.js';

/**
 * Every series name a worker exports, read from the metric catalog's own registry (never a hand-kept list):
 * counters and gauges by name, histograms as their _bucket, _count and _sum series.
 */
export async function exportedSeriesNames(): Promise<Set<string>> {
  const { registry } = createPipelineMetrics('catalog');
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    if (registry.getSingleMetric(metric.name) instanceof Histogram)
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
    else names.add(metric.name);
  }
  return names;
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
