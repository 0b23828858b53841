import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelCard } from '../../../../src/core/models/card.js';
import { cardCaveats } from '../../../../src/core/models/caveats.js';
import { fakeModel, makeCard } from './card-fixture.js';

type Baselines = NonNullable<ModelCard['baselines']>;

const DIRTY =
  'trained with uncommitted changes in training/ (training.codeDirty): its code commit alone does not reproduce ' +
  'this model';

function verdict(beatsAll: boolean, shortfalls: string[], allowBelowBaseline: string | null): Baselines {
  return {
    evaluatedOn: 'test',
    trainedOn: "the model's own training rows and features",
    gated: ['cardPrecisionAt100', 'averagePrecision'],
    ceilings: {},
    beatsAll,
    shortfalls,
    allowBelowBaseline,
    models: {},
  };
}

describe('card caveats', () => {
  const card = makeCard('card-fraud', '4', fakeModel('4'));
  const clean = { ...card, training: { ...card.training, codeDirty: false } };

  it('has none for a model trained from committed code that beats its baselines', () => {
    assert.deepEqual(cardCaveats({ ...clean, baselines: verdict(true, [], null) }), []);
    assert.deepEqual(cardCaveats({ ...clean, training: { ...clean.training, codeDirty: null } }), [], 'outside git');
  });

  it('says when the training code had uncommitted changes', () => {
    assert.deepEqual(cardCaveats({ ...clean, training: { ...clean.training, codeDirty: true } }), [DIRTY]);
  });

  it('says when the installed packages differed from requirements.lock, naming them', () => {
    const training = {
      ...clean.training,
      lockMismatches: { numpy: 'installed 2.4.0, locked 2.3.5', 'scikit-learn': 'x' },
    };
    assert.deepEqual(cardCaveats({ ...clean, training }), [
      'trained with installed packages that differ from requirements.lock (training.lockMismatches: numpy, ' +
        'scikit-learn): a retrain may not reproduce this model',
    ]);
    assert.deepEqual(cardCaveats({ ...clean, training: { ...clean.training, lockMismatches: {} } }), [], 'as locked');
  });

  it('says when the model is below a baseline, and the reason it was registered anyway', () => {
    const below = verdict(false, ['averagePrecision 0.685853 vs randomForest 0.70789'], 'within noise on AP');
    assert.deepEqual(cardCaveats({ ...clean, baselines: below }), [
      'below its baselines (averagePrecision 0.685853 vs randomForest 0.70789); registered with ' +
        '--allow-below-baseline: within noise on AP',
    ]);
    assert.deepEqual(cardCaveats({ ...clean, baselines: { ...below, allowBelowBaseline: null } }), [
      'below its baselines (averagePrecision 0.685853 vs randomForest 0.70789); no --allow-below-baseline reason ' +
        'recorded',
    ]);
  });
});
