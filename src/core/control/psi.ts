import { binCounts, binnedReference } from '../monitoring/binning.js';
import { psi } from '../monitoring/psi.js';
import { DEFAULT_PSI_EPSILON } from '../monitoring/reference.js';

/**
 * Population stability index of the challenger's scores against the champion's on the same records, binned as the
 * drift monitor bins a model card's reference (monitoring/binning.ts): the champion's deciles (identical edges merged,
 * open outer bins), shares floored at DEFAULT_PSI_EPSILON on both sides. Deciles give each bin a tenth of the
 * champion's records wherever its scores lie; fraud scores sit almost all below 0.05, where fixed bins on [0, 1] saw
 * nothing (a challenger scoring four times the champion throughout, or a constant, passed them).
 *
 * A challenger calibrated unlike the champion (ten times its scores, say) fails even when it decides alike: for a
 * deliberate recalibration start that rollout with `--max-score-psi` (its own bound, gate-bounds.ts), not a higher
 * `rollout.gates.maxScorePsi` for every rollout; the alert-rate and AUC gates still judge decisions and
 * ranking. NaN when either sample is empty (no data is no verdict). A common reading: < 0.1 stable, 0.1..0.25
 * moderate shift, > 0.25 significant shift.
 */
export function scorePsi(champion: readonly number[], challenger: readonly number[]): number {
  if (champion.length === 0 || challenger.length === 0) return Number.NaN;
  const { edges, shares } = binnedReference(champion);
  return psi(shares, binCounts(edges, challenger), DEFAULT_PSI_EPSILON);
}
