/**
 * Event-time alignment across partitions, the online runtime's half of "one definition, two runtimes".
 *
 * A transaction at event time t may be featurised only when the state holds everything its features depend on:
 *   - terminal windows end at t − d, so every input event with event time ≤ t − d, from every partition;
 *   - terminal risk counts labels reported at or before t, so every label with reported_at ≤ t.
 * The owner of each partition publishes a lower bound: "every record of this partition that is not yet in the
 * feature state has event time (or reported_at) ≥ bound". Kafka Streams' max.task.idle.ms and lowest-head-first
 * rule serve the same purpose; here the bounds are shared (in Redis) so several workers align with each other.
 *
 * Pure: no clock, no I/O.
 */

/**
 * What the owner of a partition knows about records of it that are not yet in the feature state.
 *
 * "Read to its end" is true only as of the fetch that said so: a record produced a moment later is unfetched and
 * unknown. So it is a claim tied to the end offset seen then (`atEnd`), which holds only while the partition still ends
 * there: a worker that wants to rely on it reads the partition's end offset after the records it decides for arrived
 * (resolveBound). Without that check a label produced just before a transaction could miss the transaction's features
 * on a live stream.
 */
export interface PartitionBound {
  /** Every such record has event time (reported_at for labels) ≥ this, whatever is produced later. */
  readonly lowerBoundMs: number;
  /** Read to its end offset `endOffset`: while the partition ends there, every such record is ≥ `lowerBoundMs`. */
  readonly atEnd?: { readonly lowerBoundMs: number; readonly endOffset: number };
}

export interface AlignmentPolicy {
  /** The label delay d: terminal windows end at t − d. */
  readonly labelDelayMs: number;
  /** How far an input event may lag behind the latest event time already seen in its partition. */
  readonly latenessMs: number;
}

/** An unknown partition (no owner has said anything yet) holds everything back. */
const UNKNOWN = Number.NEGATIVE_INFINITY;

/**
 * A partition's lower bound for records that arrived before `endOffset` was read: the end-of-partition claim when the
 * partition still ends where its owner read it to, the lasting bound otherwise (or when no end offset was read).
 * Unknown partitions: −∞.
 */
export function resolveBound(bound: PartitionBound | undefined, endOffset: number | undefined): number {
  if (bound === undefined) return UNKNOWN;
  if (bound.atEnd !== undefined && endOffset !== undefined && endOffset <= bound.atEnd.endOffset) {
    return Math.max(bound.lowerBoundMs, bound.atEnd.lowerBoundMs);
  }
  return bound.lowerBoundMs;
}

function minBound(bounds: readonly number[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const bound of bounds) min = Math.min(min, bound);
  return min;
}

/**
 * The featurisable horizon: a transaction at t may be featurised iff t < horizon. Input partitions: t − d must lie
 * before every pending input record (t − d < bound ⇔ t < bound + d); labels: t must lie before every pending label.
 */
export function featurisableBefore(
  policy: AlignmentPolicy,
  inputBounds: readonly number[],
  labelBounds: readonly number[],
): number {
  return horizonOfLeastBounds(policy, minBound(inputBounds), minBound(labelBounds));
}

/** featurisableBefore, given the least input bound and the least label bound (+∞ where there are none). */
export function horizonOfLeastBounds(policy: AlignmentPolicy, leastInputMs: number, leastLabelMs: number): number {
  return Math.min(leastInputMs + policy.labelDelayMs, leastLabelMs);
}

/**
 * The bound a partition's owner publishes: the least event time among its records not yet in the state (those
 * waiting in the worker), and, for records not fetched yet, the latest event time seen so far minus the allowed
 * lateness (labels: no lateness, a labels partition is written in reported_at order); nothing seen yet: −∞. Read to
 * its end offset (`endOffset`), also the claim that holds while it ends there: only what waits, +∞ when nothing does.
 */
export function partitionBound(options: {
  readonly minWaitingMs: number | undefined;
  readonly maxSeenMs: number | undefined;
  /** The end offset the partition was last read to, if the last read reached it. */
  readonly endOffset: number | undefined;
  readonly latenessMs: number;
}): PartitionBound {
  const waiting = options.minWaitingMs ?? Number.POSITIVE_INFINITY;
  const unfetched = options.maxSeenMs === undefined ? UNKNOWN : options.maxSeenMs - options.latenessMs;
  const lowerBoundMs = Math.min(waiting, unfetched);
  return options.endOffset === undefined
    ? { lowerBoundMs }
    : { lowerBoundMs, atEnd: { lowerBoundMs: waiting, endOffset: options.endOffset } };
}
