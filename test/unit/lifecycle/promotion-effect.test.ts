import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INITIAL_SERVING_STATE, type ControlView, type ServingState } from '../../../src/core/control/index.js';
import { promotionEffect } from '../../../src/lifecycle/promotion-effect.js';

const PROMOTED = { name: 'card-fraud', version: '6' };

function effect(state: Partial<ServingState>, model = { name: 'card-fraud', version: 'champion' }): string {
  const view: ControlView = { version: 4, state: { ...INITIAL_SERVING_STATE, ...state }, record: null };
  return promotionEffect(PROMOTED, { topologyName: 'payments', topologyFile: 't.yaml', model, view });
}

const CHALLENGER = {
  model: 'card-fraud@7',
  mode: 'rollout' as const,
  percent: 5,
  plan: [1, 5, 25, 50, 100],
  stageIndex: 1,
  stepMs: 60_000,
  salt: 's',
  paused: false,
  stageStartedAtMs: 0,
};

describe('promotionEffect: what `models promote -t` tells about the topology’s workers', () => {
  it('a topology following the champion with nothing on its control topic follows within seconds', () => {
    assert.equal(
      effect({}),
      'the workers of payments follow within seconds: card-fraud@6 from their next batch boundary',
    );
  });

  it('a champion named on the control topic wins: the workers keep serving it, and the way to move them is named', () => {
    assert.equal(
      effect({ champion: 'card-fraud@5' }),
      'the control topic of payments names card-fraud@5 as champion (control version 4), which wins over the ' +
        "registry's: its workers keep serving it (to roll card-fraud@6 out to them: fraudscore rollout start " +
        'card-fraud@6 -t t.yaml)',
    );
    assert.match(effect({ champion: 'card-fraud@6' }), /already names card-fraud@6 as champion: its workers serve it$/);
  });

  it('a pinned version or another model: no change', () => {
    assert.match(
      effect({}, { name: 'card-fraud', version: '3' }),
      /^payments pins model.version 3: its workers do not follow the registry's champion and do not change/,
    );
    assert.equal(
      effect({}, { name: 'other-model', version: 'champion' }),
      'payments serves model other-model, not card-fraud: its workers do not change',
    );
  });

  it('the kill switch holds the workers on its target until it is turned off', () => {
    const killSwitch = { on: true, reason: 'r', target: 'card-fraud@4', sinceMs: 1 };
    assert.equal(
      effect({ killSwitch }),
      'the kill switch of payments is on: its workers serve card-fraud@4 until it is turned off, then card-fraud@6',
    );
    assert.match(effect({ killSwitch, champion: 'card-fraud@5' }), /until it is turned off, then card-fraud@5$/);
  });

  it('during a rollout the promoted version takes the champion’s part of it, which the message says', () => {
    assert.match(
      effect({ challenger: CHALLENGER }),
      /follow within seconds: .* \(a rollout of card-fraud@7 is under way: card-fraud@6 takes the champion's part of it, and card-fraud@7 is compared with card-fraud@6 from then on\)$/,
    );
  });
});
