import { planModels, type ServingPlan } from './fold.js';

/** What a worker knows when it decides which of its loaded models it still needs. */
export interface RetentionInputs {
  /** The plan applied, and the plan prepared but not applied yet (if any). */
  readonly plans: readonly (ServingPlan | undefined)[];
  /** The kill switch's target the card of a loaded model names (`name@version`), if any. */
  readonly rollbackTargetOf: (ref: string) => string | null | undefined;
  /** The topology's champion (or the registry's, once followed): a later view that names no champion serves it. */
  readonly defaultChampion: string;
  /** Every model a preparation still under way loads or has loaded, for a view that is not pending yet. */
  readonly preparing: Iterable<string>;
}

/**
 * The models a worker keeps loaded: every model a plan applied or pending scores with, the rollback target of each
 * such plan's decider (a kill switch must apply at the next batch boundary, not after a load of up to 20 s), the
 * default champion, and whatever a preparation under way holds (its view is not pending yet, but will be). Any other
 * loaded model is named by nothing that can be served next and may be released.
 */
export function modelsToKeep(inputs: RetentionInputs): Set<string> {
  const keep = new Set<string>([inputs.defaultChampion, ...inputs.preparing]);
  for (const plan of inputs.plans) {
    if (!plan) continue;
    for (const ref of planModels(plan)) keep.add(ref);
    const target = inputs.rollbackTargetOf(plan.decider);
    if (target) keep.add(target);
  }
  return keep;
}
