import type { PipelineMetrics } from '../adapters/observability/metrics.js';

type LagLabels = { topic: string; partition: string };

/**
 * fraudscore_consumer_lag_records as one group member reports it: a series per partition it fetched, kept only while
 * the member owns the partition. A gauge series stays in every scrape until it is removed, so without the removal a
 * worker would go on reporting, after a rebalance, the last lag of a partition another worker now reads, and the lag
 * alert (which sums the series) would count that partition twice, the stale figure for ever.
 */
export class ConsumerLagSeries {
  /** The series this member set, by "<topic>:<partition>". */
  private readonly reported = new Map<string, LagLabels>();

  constructor(private readonly gauge: PipelineMetrics['consumerLag']) {}

  set(topic: string, partition: number, lag: number): void {
    const labels = { topic, partition: String(partition) };
    this.reported.set(`${topic}:${partition}`, labels);
    this.gauge.set(labels, lag);
  }

  /** A new assignment: drops the series of every partition it does not hold (revoked, now another member's). */
  retain(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, labels] of this.reported) {
      if (assignment[labels.topic]?.includes(Number(labels.partition))) continue;
      this.gauge.remove(labels);
      this.reported.delete(key);
    }
  }
}
