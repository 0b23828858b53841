import type { PipelineMetrics } from '../adapters/observability/metrics.js';
import type { CommittedBatch } from './runner-deps.js';
import type { BatchSummary } from './score-batch.js';

/**
 * Counts a committed batch into the pipeline's metrics: its size and latency, each stage, every outcome, and the newest
 * time it took into the feature state per stream.
 */
export function recordCommittedBatch(metrics: PipelineMetrics, batch: CommittedBatch, summary: BatchSummary): void {
  metrics.batches.inc({ close_reason: batch.closeReason });
  metrics.batchSize.observe(batch.size);
  metrics.batchLatency.observe(batch.latencyMs);
  for (const [stage, ms] of Object.entries(summary.stageMs)) metrics.stageLatency.observe({ stage }, ms);
  metrics.stageLatency.observe({ stage: 'commit' }, batch.commitMs);
  for (const [decision, n] of Object.entries(summary.decisions)) if (n > 0) metrics.scored.inc({ decision }, n);
  for (const [reason, n] of Object.entries(summary.deadLetterReasons)) metrics.deadLettered.inc({ reason }, n);
  for (const [code, n] of Object.entries(summary.reasonCodes)) metrics.reasonCodes.inc({ code }, n);
  if (summary.labels > 0) metrics.labelsIngested.inc(summary.labels);
  metrics.takeNewest('transactions', summary.newestTakenMs.transactions);
  metrics.takeNewest('labels', summary.newestTakenMs.labels);
}
