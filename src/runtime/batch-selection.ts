import {
  featurisableBefore,
  partitionBound,
  resolveBound,
  type AlignmentPolicy,
  type PartitionBound,
} from '../core/batch/event-time-alignment.js';
import type { PartitionQueue, WaitingRecord } from './intake.js';

export interface AlignmentView {
  readonly policy: AlignmentPolicy;
  /** Every partition of the input and labels topics, by "<topic>:<partition>". */
  readonly inputKeys: readonly string[];
  readonly labelKeys: readonly string[];
  /** Bounds published by the owners of partitions this worker does not hold. */
  readonly published: ReadonlyMap<string, PartitionBound>;
  /**
   * Every partition's end offset, read after the records numbered up to `endsReadAfter` arrived (WaitingRecord's
   * arrival): for those records, a partition still ending where its owner read it to holds nothing more back.
   */
  readonly endOffsets: ReadonlyMap<string, number>;
  readonly endsReadAfter: number;
}

/**
 * Takes the next batch from the partition queues: labels first (recording them never waits), then transactions,
 * lowest event time first across partitions, as long as each is featurisable: its features' inputs are all in the
 * state once this batch is (see core/batch/event-time-alignment). Without an alignment view (a single topic with
 * nothing to align), takes in arrival order. Records of one partition are always taken in offset order.
 */
export function selectBatch(
  queues: ReadonlyMap<string, PartitionQueue>,
  labelsTopic: string,
  maxRecords: number,
  alignment: AlignmentView | undefined,
): WaitingRecord[] {
  const taken: WaitingRecord[] = [];
  const labelQueues = [...queues.values()].filter((q) => q.topic === labelsTopic);
  const inputQueues = [...queues.values()].filter((q) => q.topic !== labelsTopic);
  for (const queue of labelQueues) while (taken.length < maxRecords && queue.size > 0) taken.push(queue.shift());
  if (taken.length >= maxRecords) return taken;

  const latenessMs = alignment?.policy.latenessMs ?? 0;
  /** A partition's bound for a record: end-of-partition claims count only for records that arrived before the ends. */
  const bound = (key: string, own: Map<string, PartitionBound>, arrival: number): number =>
    resolveBound(
      own.get(key) ?? alignment?.published.get(key),
      arrival <= (alignment?.endsReadAfter ?? -1) ? alignment?.endOffsets.get(key) : undefined,
    );
  const labelOwn = new Map(labelQueues.map((q) => [q.key, q.bound(0)]));

  // Suffix minima of event times per queue: the bound of a queue after k records are taken, in O(1).
  const suffixMin = new Map<PartitionQueue, Float64Array>();
  for (const queue of inputQueues) {
    const minima = new Float64Array(queue.size + 1).fill(Number.POSITIVE_INFINITY);
    for (let i = queue.size - 1; i >= 0; i--) {
      minima[i] = Math.min(minima[i + 1] as number, queue.peek(i)?.timeMs ?? Number.POSITIVE_INFINITY);
    }
    suffixMin.set(queue, minima);
  }
  const takenFrom = new Map<PartitionQueue, number>(inputQueues.map((q) => [q, 0]));
  const ownInputBound = (queue: PartitionQueue): PartitionBound => {
    const minima = suffixMin.get(queue) as Float64Array;
    const minWaiting = minima[takenFrom.get(queue) as number] as number;
    return partitionBound({
      minWaitingMs: Number.isFinite(minWaiting) ? minWaiting : undefined,
      maxSeenMs: queue.maxSeenMs,
      endOffset: queue.endOffset,
      latenessMs,
    });
  };

  while (taken.length < maxRecords) {
    // Lowest head first; undecodable records (no time) go at once: they are dead-lettered, never featurised.
    let next: PartitionQueue | undefined;
    let nextTime = Number.POSITIVE_INFINITY;
    let nextArrival = 0;
    for (const queue of inputQueues) {
      const head = queue.peek(takenFrom.get(queue));
      if (!head) continue;
      const time = head.timeMs ?? Number.NEGATIVE_INFINITY;
      if (next === undefined || time < nextTime) {
        next = queue;
        nextTime = time;
        nextArrival = head.arrival;
      }
    }
    if (!next) break;
    if (alignment && Number.isFinite(nextTime)) {
      takenFrom.set(next, (takenFrom.get(next) as number) + 1);
      const own = new Map(inputQueues.map((q) => [q.key, ownInputBound(q)]));
      const horizon = featurisableBefore(
        alignment.policy,
        alignment.inputKeys.map((key) => bound(key, own, nextArrival)),
        alignment.labelKeys.map((key) => bound(key, labelOwn, nextArrival)),
      );
      takenFrom.set(next, (takenFrom.get(next) as number) - 1);
      // The lowest head cannot go, so no other can: each would need this one in the state first.
      if (!(nextTime < horizon)) break;
    }
    takenFrom.set(next, (takenFrom.get(next) as number) + 1);
    taken.push(next.peek((takenFrom.get(next) as number) - 1) as WaitingRecord);
  }
  for (const [queue, count] of takenFrom) for (let i = 0; i < count; i++) queue.shift();
  return taken;
}
