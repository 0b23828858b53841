/**
 * The shortest time a rollout stage may last before its gates are judged, for `rollout start --step` and a topology's
 * `rollout.stepMs` alike. 0 would let a stage pass on its first judgement (the controller judges every 5 s by
 * default), on whatever records happened to reach `gates.minRecords` in a burst, before every worker has read the
 * change from the control topic and with no time for a single label to come back: the gates would judge noise.
 * A minute is the floor, not a recommendation (the default is 30 min): long enough for every worker to apply the
 * stage at a batch boundary and serve it for several controller judgements, short enough for a drill on a test stack.
 * Lifecycle code and tests that drive a stage by hand (the lifecycle demo) pass their own step to the operations and
 * are not bound by it.
 */
export const MIN_ROLLOUT_STEP_MS = 60_000;

/**
 * Null for a step a rollout may use, else what is wrong with it. Each caller adds the fix in its own terms: a flag takes
 * a duration (`--step 30m`), a topology milliseconds (`stepMs: 1800000`).
 */
export function stepProblem(stepMs: number): string | null {
  if (Number.isSafeInteger(stepMs) && stepMs >= MIN_ROLLOUT_STEP_MS) return null;
  return (
    `a stage must last at least 1 min (${MIN_ROLLOUT_STEP_MS} ms) for its gates to judge traffic served by every ` +
    `worker, not ${stepMs} ms`
  );
}
