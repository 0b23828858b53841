import { z } from 'zod';

/**
 * The gate bounds a rollout may set for itself (`rollout start --max-score-psi` …) in place of the topology's
 * `rollout.gates`: the ones that say how far the challenger may differ from the champion. A deliberate recalibration
 * (the same decisions, scores ten times the champion's) fails the score PSI gate, which bins by the champion's
 * deciles; raising the topology's bound for it would loosen every later rollout too and need a controller redeploy.
 * The evidence minimums (`minRecords`, `minLabelled`) stay the topology's: a smaller one weakens every gate at once.
 */
export const GATE_BOUNDS = ['maxScorePsi', 'maxAlertRateDelta', 'aucMargin'] as const;
export type GateBound = (typeof GATE_BOUNDS)[number];

export interface BoundRange {
  readonly min: number;
  readonly max: number;
  /** The minimum itself is refused: a PSI bound of 0 fails every challenger, the champion's twin included. */
  readonly minExcluded: boolean;
}

/** One range per bound, for the topology's `rollout.gates` and a rollout's own bounds alike. */
export const GATE_BOUND_RANGES: Readonly<Record<GateBound, BoundRange>> = {
  // PSI has no upper end; past 10 (every decile's share off by orders of magnitude) the gate judges nothing.
  maxScorePsi: { min: 0, max: 10, minExcluded: true },
  maxAlertRateDelta: { min: 0, max: 1, minExcluded: false },
  aucMargin: { min: 0, max: 1, minExcluded: false },
};

/** The zod schema of a bound's value: the topology schema adds its default, a rollout's bounds leave it optional. */
export function gateBoundSchema(bound: GateBound): z.ZodNumber {
  const { min, max, minExcluded } = GATE_BOUND_RANGES[bound];
  const upTo = z.number().max(max);
  return minExcluded ? upTo.gt(min) : upTo.min(min);
}

/**
 * The bounds a rollout set for itself, on its challenger state; a bound it does not set is the topology's. Unknown
 * keys are dropped, not refused: a record from a later version with a bound this one does not know is still read.
 */
export const rolloutGateBoundsSchema = z.object({
  maxScorePsi: gateBoundSchema('maxScorePsi').optional(),
  maxAlertRateDelta: gateBoundSchema('maxAlertRateDelta').optional(),
  aucMargin: gateBoundSchema('aucMargin').optional(),
});

export type RolloutGateBounds = z.infer<typeof rolloutGateBoundsSchema>;
export type GateBounds = Readonly<Record<GateBound, number>>;

/** Where a bound in force comes from: the topology file's `rollout.gates`, or the rollout's own (`rollout start`). */
export type BoundOrigin = 'topology' | 'rollout';

export interface EffectiveBound {
  readonly value: number;
  readonly from: BoundOrigin;
}

/** The range of a bound as messages say it, e.g. "a number > 0 and <= 10". */
export function gateBoundRangeText(bound: GateBound): string {
  const { min, max, minExcluded } = GATE_BOUND_RANGES[bound];
  return minExcluded ? `a number > ${min} and <= ${max}` : `a number from ${min} to ${max}`;
}

/**
 * Null for a value the bound may take, else the range it must be in (the caller names the bound and the value in its
 * own terms: a flag, a field).
 */
export function gateBoundProblem(bound: GateBound, value: number): string | null {
  if (gateBoundSchema(bound).safeParse(value).success) return null;
  return `expected ${gateBoundRangeText(bound)}, the range of the topology's rollout.gates.${bound}`;
}

/** The bounds a rollout's gates are judged with: the rollout's own where it set one, else the topology's. */
export function effectiveGateBounds(
  topology: GateBounds,
  rollout: RolloutGateBounds | undefined,
): Readonly<Record<GateBound, EffectiveBound>> {
  const pick = (bound: GateBound): EffectiveBound => {
    const own = rollout?.[bound];
    return own === undefined ? { value: topology[bound], from: 'topology' } : { value: own, from: 'rollout' };
  };
  return {
    maxScorePsi: pick('maxScorePsi'),
    maxAlertRateDelta: pick('maxAlertRateDelta'),
    aucMargin: pick('aucMargin'),
  };
}

/** How a figure names where its bound comes from: "from the topology", "set by this rollout". */
export function boundOriginText(from: BoundOrigin): string {
  return from === 'rollout' ? 'set by this rollout' : 'from the topology';
}
