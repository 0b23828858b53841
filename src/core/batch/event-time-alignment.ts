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

/** What the owner of a partition knows about records of it that are not yet in the feature state. */
export interface PartitionBound {
  /** Every such record has event time (reported_at for labels) ≥ this. +Infinity: none are left (caught up). */
  readonly lowerBoundMs: number;
}

export interface AlignmentPolicy {
  /** The label delay d: terminal windows end at t − d. */
  readonly labelDelayMs: number;
  /** How far an input event may lag behind the latest event time already seen in its partition. */
  readonly latenessMs: number;
}

/** An unknown partition (no owner has said anything yet) holds everything back. */
const UNKNOWN = Number.NEGATIVE_INFINITY;

function minBound(bounds: readonly (PartitionBound | undefined)[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const bound of bounds) min = Math.min(min, bound?.lowerBoundMs ?? UNKNOWN);
  return min;
}

/**
 * The featurisable horizon: a transaction at t may be featurised iff t < horizon. Input partitions: t − d must lie
 * before every pending input record (t − d < bound ⇔ t < bound + d); labels: t must lie before every pending label.
 */
export function featurisableBefore(
  policy: AlignmentPolicy,
  inputBounds: readonly (PartitionBound | undefined)[],
  labelBounds: readonly (PartitionBound | undefined)[],
): number {
  return Math.min(minBound(inputBounds) + policy.labelDelayMs, minBound(labelBounds));
}

/**
 * The bound a partition's owner publishes: the least event time among its records not yet in the state (those
 * waiting in the worker), and, for records not fetched yet, the latest event time seen so far minus the allowed
 * lateness (labels: no lateness, a labels partition is written in reported_at order). Caught up and nothing
 * waiting: +Infinity.
 */
export function partitionBound(options: {
  readonly minWaitingMs: number | undefined;
  readonly maxSeenMs: number | undefined;
  readonly caughtUp: boolean;
  readonly latenessMs: number;
}): PartitionBound {
  const unfetched = options.caughtUp
    ? Number.POSITIVE_INFINITY
    : options.maxSeenMs === undefined
      ? UNKNOWN
      : options.maxSeenMs - options.latenessMs;
  return { lowerBoundMs: Math.min(options.minWaitingMs ?? Number.POSITIVE_INFINITY, unfetched) };
}
