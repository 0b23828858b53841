/**
 * When does a microbatch close? When maxRecords are waiting, or maxWaitMs after the oldest waiting record arrived,
 * whichever comes first. Pure: the runner passes what is waiting and the clock reading; tests pass numbers.
 *
 * A batch is only formed when the scorer can take it, so records wait in the intake rather than in closed batches:
 * "closed" then means "taken for scoring", and close-to-commit latency measures the work, not a queue.
 */
export type CloseReason = 'size' | 'time' | 'shutdown' | 'rebalance';

export interface BatchWindowPolicy {
  readonly maxRecords: number;
  readonly maxWaitMs: number;
}

export interface IntakeState {
  readonly waiting: number;
  /** Arrival time of the oldest waiting record; undefined when nothing waits. */
  readonly oldestArrivalMs: number | undefined;
}

export function closeReason(policy: BatchWindowPolicy, intake: IntakeState, nowMs: number): CloseReason | undefined {
  if (intake.waiting === 0 || intake.oldestArrivalMs === undefined) return undefined;
  if (intake.waiting >= policy.maxRecords) return 'size';
  if (nowMs - intake.oldestArrivalMs >= policy.maxWaitMs) return 'time';
  return undefined;
}

/** Milliseconds until the waiting records' window expires; undefined while nothing waits. */
export function untilExpiry(policy: BatchWindowPolicy, intake: IntakeState, nowMs: number): number | undefined {
  if (intake.waiting === 0 || intake.oldestArrivalMs === undefined) return undefined;
  return Math.max(0, intake.oldestArrivalMs + policy.maxWaitMs - nowMs);
}
