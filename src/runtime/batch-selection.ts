import type { PartitionQueue, WaitingRecord } from './intake.js';
import { FeaturisableHorizon, type AlignmentView } from './featurisable-horizon.js';

export type { AlignmentView } from './featurisable-horizon.js';

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
  const labelQueues: PartitionQueue[] = [];
  const inputQueues: PartitionQueue[] = [];
  for (const queue of queues.values()) (queue.topic === labelsTopic ? labelQueues : inputQueues).push(queue);
  for (const queue of labelQueues) while (taken.length < maxRecords && queue.size > 0) taken.push(queue.shift());
  if (taken.length >= maxRecords) return taken;

  const horizon = alignment && new FeaturisableHorizon(alignment, labelQueues, inputQueues);
  const takenFrom = new Array<number>(inputQueues.length).fill(0);
  while (taken.length < maxRecords) {
    // Lowest head first; undecodable records (no time) go at once: they are dead-lettered, never featurised.
    let next = -1;
    let nextTime = Number.POSITIVE_INFINITY;
    let nextArrival = 0;
    for (let index = 0; index < inputQueues.length; index++) {
      const head = (inputQueues[index] as PartitionQueue).peek(takenFrom[index]);
      if (!head) continue;
      const time = head.timeMs ?? Number.NEGATIVE_INFINITY;
      if (next < 0 || time < nextTime) {
        next = index;
        nextTime = time;
        nextArrival = head.arrival;
      }
    }
    if (next < 0) break;
    const count = (takenFrom[next] as number) + 1;
    // The lowest head cannot go, so no other can: each would need this one in the state first.
    if (horizon && Number.isFinite(nextTime) && !(nextTime < horizon.ifTaken(next, count, nextArrival))) break;
    takenFrom[next] = count;
    horizon?.take(next, count);
    taken.push((inputQueues[next] as PartitionQueue).peek(count - 1) as WaitingRecord);
  }
  takenFrom.forEach((count, index) => {
    for (let i = 0; i < count; i++) (inputQueues[index] as PartitionQueue).shift();
  });
  return taken;
}
