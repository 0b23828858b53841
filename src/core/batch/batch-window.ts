/**
 * When does a microbatch close? When maxRecords are waiting, or maxWaitMs after the oldest waiting record arrived,
 * whichever comes first; and on a live stream sooner: once every partition with waiting records was read to its end
 * and at least minRecords wait, waiting longer would only add latency (the scorer is free: it asks only between
 * batches), so the batch closes as 'drained'. Records that arrive while a batch is scored form the next one, so the
 * batch size follows the rate: a record waits about one batch's work, not the window, and under load batches grow
 * back to maxRecords. Pure: the runner passes what is waiting and the clock reading; tests pass numbers.
 *
 * A batch is only formed when the scorer can take it, so records wait in the intake rather than in closed batches:
 * "closed" then means "taken for scoring", and close-to-commit latency measures the work, not a queue.
 */
export type CloseReason = 'size' | 'time' | 'drained' | 'shutdown' | 'rebalance';

export interface BatchWindowPolicy {
  readonly maxRecords: number;
  readonly maxWaitMs: number;
  /** Closes a drained intake holding at least this many records; absent: only size and time close a batch. */
  readonly minRecords?: number;
}

export interface IntakeState {
  readonly waiting: number;
  /** Arrival time of the oldest waiting record; undefined when nothing waits. */
  readonly oldestArrivalMs: number | undefined;
  /** Every partition with waiting records was read to its end offset by its latest fetch. */
  readonly drained?: boolean;
}

export function closeReason(policy: BatchWindowPolicy, intake: IntakeState, nowMs: number): CloseReason | undefined {
  if (intake.waiting === 0 || intake.oldestArrivalMs === undefined) return undefined;
  if (intake.waiting >= policy.maxRecords) return 'size';
  if (nowMs - intake.oldestArrivalMs >= policy.maxWaitMs) return 'time';
  if (intake.drained === true && policy.minRecords !== undefined && intake.waiting >= policy.minRecords)
    return 'drained';
  return undefined;
}

/** Milliseconds until the waiting records' window expires; undefined while nothing waits. */
export function untilExpiry(policy: BatchWindowPolicy, intake: IntakeState, nowMs: number): number | undefined {
  if (intake.waiting === 0 || intake.oldestArrivalMs === undefined) return undefined;
  return Math.max(0, intake.oldestArrivalMs + policy.maxWaitMs - nowMs);
}
