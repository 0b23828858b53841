import { ScoreReasonCode } from '../contract/reasons.js';

/** Every decision a score can carry, mildest first. */
export const DECISIONS = ['APPROVE', 'REVIEW', 'BLOCK'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface DecisionPolicy {
  readonly blockAt: number;
  readonly reviewAt: number;
  /** Published instead of an unusable model output (NaN, ±Infinity, outside [0, 1]). */
  readonly fallbackScore: number;
}

export interface Verdict {
  /** Always finite and in [0, 1]. */
  readonly score: number;
  readonly decision: Decision;
  readonly reasonCodes: readonly string[];
}

/** Turns a raw model output into a publishable verdict. No non-finite or out-of-range number ever leaves here. */
export function decide(rawScore: number, policy: DecisionPolicy): Verdict {
  let score = rawScore;
  const reasonCodes: string[] = [];
  if (!Number.isFinite(rawScore)) {
    score = policy.fallbackScore;
    reasonCodes.push(ScoreReasonCode.ModelOutputNonFinite);
  } else if (rawScore < 0 || rawScore > 1) {
    score = policy.fallbackScore;
    reasonCodes.push(ScoreReasonCode.ModelOutputOutOfRange);
  }
  const decision: Decision = score >= policy.blockAt ? 'BLOCK' : score >= policy.reviewAt ? 'REVIEW' : 'APPROVE';
  return { score, decision, reasonCodes };
}
