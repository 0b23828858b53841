import {
  horizonOfLeastBounds,
  partitionBound,
  resolveBound,
  type AlignmentPolicy,
  type PartitionBound,
} from '../core/batch/event-time-alignment.js';
import type { PartitionQueue } from './intake.js';

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
 * The featurisable horizon while a batch is taken, kept up to date one record at a time: only the partition a record
 * is taken from changes its bound, so each step computes that one bound, and the least of all the others is a pass
 * over numbers (no bound objects, lists or maps per record). A partition's bound comes in two forms, with the
 * end-of-partition claim (for records that arrived before the end offsets were read) and without.
 */
export class FeaturisableHorizon {
  private readonly policy: AlignmentPolicy;
  private readonly latenessMs: number;
  private readonly endsReadAfter: number;
  /** The least bound of the partitions this worker does not hold (published by their owners), and of the labels. */
  private readonly settled: { readonly claimed: LeastBounds; readonly lasting: LeastBounds };
  /** Input queues whose partitions count (listed in the view's inputKeys), their end offsets and suffix minima. */
  private readonly counted: {
    readonly queue: PartitionQueue;
    /** The partition's end offset as read for the view (the claim holds while it still ends where its owner read). */
    readonly endOffset: number | undefined;
    /** minima[k]: the least event time among the queue's waiting records from position k on (+∞ past the end). */
    readonly minima: Float64Array;
  }[];
  /** By input queue: its position in `counted`, -1 for a queue whose partition does not count. */
  private readonly slotOf: number[];
  /** By slot: the partition's bound with what is taken so far, with and without the end claim. */
  private readonly claimed: Float64Array;
  private readonly lasting: Float64Array;
  /** The bound of partition `pendingSlot` with `pendingCount` records taken, as last computed. */
  private pendingSlot = -1;
  private pendingCount = 0;
  private pendingClaimed = 0;
  private pendingLasting = 0;

  constructor(view: AlignmentView, labelQueues: readonly PartitionQueue[], inputQueues: readonly PartitionQueue[]) {
    this.policy = view.policy;
    this.latenessMs = view.policy.latenessMs;
    this.endsReadAfter = view.endsReadAfter;
    const labelOwn = new Map(labelQueues.map((queue) => [queue.key, queue.bound(0)]));
    const inputSlots = new Map(inputQueues.map((queue, index) => [queue.key, index]));
    const counted = new Set(view.inputKeys);
    const settledInput = leastOf(
      view.inputKeys.filter((key) => !inputSlots.has(key)),
      view,
      new Map(),
    );
    const labels = leastOf(view.labelKeys, view, labelOwn);
    this.settled = {
      claimed: { input: settledInput.claimed, label: labels.claimed },
      lasting: { input: settledInput.lasting, label: labels.lasting },
    };
    this.slotOf = inputQueues.map(() => -1);
    this.counted = [];
    inputQueues.forEach((queue, index) => {
      if (!counted.has(queue.key)) return;
      this.slotOf[index] = this.counted.length;
      this.counted.push({ queue, endOffset: view.endOffsets.get(queue.key), minima: suffixMinima(queue) });
    });
    this.claimed = new Float64Array(this.counted.length);
    this.lasting = new Float64Array(this.counted.length);
    this.counted.forEach((_, slot) => {
      this.bound(slot, 0);
      this.claimed[slot] = this.pendingClaimed;
      this.lasting[slot] = this.pendingLasting;
    });
  }

  /** The horizon once `count` records of input queue `index` are taken, for a record that arrived as `arrival`. */
  ifTaken(index: number, count: number, arrival: number): number {
    const slot = this.slotOf[index] as number;
    if (slot >= 0) this.bound(slot, count);
    const withClaim = arrival <= this.endsReadAfter;
    const settled = withClaim ? this.settled.claimed : this.settled.lasting;
    const bounds = withClaim ? this.claimed : this.lasting;
    let leastInput = settled.input;
    for (let other = 0; other < bounds.length; other++) {
      leastInput = Math.min(leastInput, other === slot ? this.pending(withClaim) : (bounds[other] as number));
    }
    return horizonOfLeastBounds(this.policy, leastInput, settled.label);
  }

  /** Input queue `index` now has `count` records taken (as last asked of ifTaken). */
  take(index: number, count: number): void {
    const slot = this.slotOf[index] as number;
    if (slot < 0) return;
    if (this.pendingSlot !== slot || this.pendingCount !== count) this.bound(slot, count);
    this.claimed[slot] = this.pendingClaimed;
    this.lasting[slot] = this.pendingLasting;
  }

  private pending(withClaim: boolean): number {
    return withClaim ? this.pendingClaimed : this.pendingLasting;
  }

  /** The bound of the partition in `slot` once `count` of its records are taken, into pendingClaimed/pendingLasting. */
  private bound(slot: number, count: number): void {
    const { queue, minima, endOffset } = this.counted[slot] as FeaturisableHorizon['counted'][number];
    const minWaiting = minima[count] as number;
    const bound = partitionBound({
      minWaitingMs: Number.isFinite(minWaiting) ? minWaiting : undefined,
      maxSeenMs: queue.maxSeenMs,
      endOffset: queue.endOffset,
      latenessMs: this.latenessMs,
    });
    this.pendingSlot = slot;
    this.pendingCount = count;
    this.pendingClaimed = resolveBound(bound, endOffset);
    this.pendingLasting = resolveBound(bound, undefined);
  }
}

interface LeastBounds {
  readonly input: number;
  readonly label: number;
}

/** The least of the partitions' bounds, with and without end claims: a held partition's own, else its owner's. */
function leastOf(
  keys: readonly string[],
  view: AlignmentView,
  own: ReadonlyMap<string, PartitionBound>,
): { readonly claimed: number; readonly lasting: number } {
  let claimed = Number.POSITIVE_INFINITY;
  let lasting = Number.POSITIVE_INFINITY;
  for (const key of keys) {
    const bound = own.get(key) ?? view.published.get(key);
    claimed = Math.min(claimed, resolveBound(bound, view.endOffsets.get(key)));
    lasting = Math.min(lasting, resolveBound(bound, undefined));
  }
  return { claimed, lasting };
}

function suffixMinima(queue: PartitionQueue): Float64Array {
  const minima = new Float64Array(queue.size + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = queue.size - 1; i >= 0; i--) {
    minima[i] = Math.min(minima[i + 1] as number, queue.peek(i)?.timeMs ?? Number.POSITIVE_INFINITY);
  }
  return minima;
}
