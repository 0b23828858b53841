import type { Topology } from '../config/index.js';
import type { Logger } from '../adapters/observability/logger.js';
import { createEvaluatorMetrics, type EvaluatorMetrics } from '../adapters/observability/metrics.js';
import type { EvaluationReportInput } from '../core/report/evaluation-report.js';
import { Evaluator } from './evaluator.js';

export { Evaluator, type ModelStatus } from './evaluator.js';
export { reportRewriter, writeEvaluationReport } from './report-files.js';

/** The report's content from an evaluator's current state. */
export async function reportInput(evaluator: Evaluator, topology: Topology, now: Date): Promise<EvaluationReportInput> {
  return {
    title: `fraudscore evaluation: ${topology.name} (${topology.topics.output} joined with ${topology.topics.labels})`,
    generatedAt: now.toISOString(),
    horizonDays: topology.monitoring.evaluation.horizonDays,
    matured: evaluator.join.maturedDays(),
    openDays: evaluator.join.openDays(),
    offlineOnline: await evaluator.status(),
  };
}

/**
 * Reads both topics to their end as of now, evaluates every day that has matured, and stops: the batch form of
 * `fraudscore evaluate`, for `fraudscore report evaluation` and the demo.
 */
export async function evaluateToEnd(options: {
  topology: Topology;
  log: Logger;
  timeoutMs?: number;
  metrics?: EvaluatorMetrics;
}): Promise<{ input: EvaluationReportInput; evaluator: Evaluator }> {
  const evaluator = new Evaluator({
    topology: options.topology,
    log: options.log,
    metrics: options.metrics ?? createEvaluatorMetrics(options.topology.name),
  });
  await evaluator.start();
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    evaluator.caughtUp.then(() => 'caught up' as const),
    evaluator.failed,
    new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), timeoutMs))),
  ]);
  clearTimeout(timer);
  await evaluator.stop();
  if (outcome instanceof Error) throw outcome;
  const timedOut = outcome === 'timed out';
  if (timedOut) {
    throw new Error(
      `could not read ${options.topology.topics.output} and ${options.topology.topics.labels} to their end within ${timeoutMs / 1000} s`,
    );
  }
  return { input: await reportInput(evaluator, options.topology, new Date()), evaluator };
}
