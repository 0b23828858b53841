import type { ChallengerState } from '../../../../src/core/control/index.js';

/** The second stage (5 %) of a live rollout of card-fraud@2 that started at `stageStartedAtMs`. */
export function rolloutStage(stageStartedAtMs: number, more: Partial<ChallengerState> = {}): ChallengerState {
  return {
    model: 'card-fraud@2',
    mode: 'rollout',
    percent: 5,
    plan: [1, 5, 100],
    stageIndex: 1,
    stepMs: 0,
    salt: 's',
    paused: false,
    stageStartedAtMs,
    ...more,
  };
}
