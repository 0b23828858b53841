import type { ModelCard } from './card.js';

/**
 * What the card itself says against trusting its model at face value, one sentence each: the training code could
 * not be pinned to a commit, the trainer's packages were not the locked ones, or the model was accepted below a
 * baseline it should have beaten. Its metrics alone do
 * not show either.
 */
export function cardCaveats(card: Pick<ModelCard, 'training' | 'baselines'>): string[] {
  const caveats: string[] = [];
  if (card.training.codeDirty === true) {
    caveats.push(
      'trained with uncommitted changes in training/ (training.codeDirty): its code commit alone does not ' +
        'reproduce this model',
    );
  }
  const mismatches = Object.keys(card.training.lockMismatches ?? {}).sort();
  if (mismatches.length > 0) {
    caveats.push(
      `trained with installed packages that differ from requirements.lock (training.lockMismatches: ` +
        `${mismatches.join(', ')}): a retrain may not reproduce this model`,
    );
  }
  const baselines = card.baselines;
  if (baselines !== undefined && !baselines.beatsAll) {
    const accepted =
      baselines.allowBelowBaseline === null
        ? 'no --allow-below-baseline reason recorded'
        : `registered with --allow-below-baseline: ${baselines.allowBelowBaseline}`;
    caveats.push(`below its baselines (${baselines.shortfalls.join('; ')}); ${accepted}`);
  }
  return caveats;
}
