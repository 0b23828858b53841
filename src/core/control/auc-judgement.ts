import type { PairedAuc } from '../monitoring/delong.js';

export interface AucJudgement {
  readonly status: 'pass' | 'hold' | 'fail';
  /** Twice the standard error of the difference: how far the shortfall moves on its own at this many labels. */
  readonly sampling: number;
}

/**
 * The AUC comparison, for the rollout gate and the shadow checklist alike: a challenger within `margin` of the
 * champion passes; one short by more than the margin fails only when the excess is also beyond twice the standard
 * error of the paired difference (one-sided, ~2.3 % by chance), and holds otherwise (more labels decide). Without an
 * error estimate (fewer than two frauds or genuine records) a shortfall holds.
 */
export function judgeAucShortfall(auc: PairedAuc, margin: number): AucJudgement {
  const sampling = 2 * auc.standardError;
  const shortfall = auc.championAuc - margin - auc.challengerAuc;
  if (shortfall <= 0) return { status: 'pass', sampling };
  return { status: Number.isFinite(sampling) && shortfall > sampling ? 'fail' : 'hold', sampling };
}
