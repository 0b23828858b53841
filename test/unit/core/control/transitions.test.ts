import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  abortRollout,
  advanceRollout,
  batchWindowOverrideSchema,
  checkPlan,
  decidingModels,
  EMPTY_VIEW,
  foldControl,
  INITIAL_SERVING_STATE,
  killSwitchOff,
  killSwitchOn,
  nextRecord,
  parseSettings,
  pauseRollout,
  promoteRollout,
  resumeRollout,
  rollbackRollout,
  servingPlan,
  setBatchWindow,
  settingsProblem,
  startRollout,
  startShadow,
  windowProblem,
  type ServingState,
  type Transition,
} from '../../../../src/core/control/index.js';

function state(transition: Transition): ServingState {
  assert.ok(transition.ok, transition.ok ? '' : transition.problem);
  return transition.state;
}

const defaults = { champion: 'card-fraud@1', window: { maxRecords: 1000, maxWaitMs: 2000 } };
const rollout = (s: ServingState = INITIAL_SERVING_STATE) =>
  state(
    startRollout(s, {
      model: 'card-fraud@2',
      champion: 'card-fraud@1',
      salt: 'x',
      nowMs: 10,
      plan: [1, 5, 25, 50, 100],
      stepMs: 1000,
    }),
  );

describe('control transitions', () => {
  it('walks a rollout through its plan and makes the challenger champion after the last stage', () => {
    let s = rollout();
    assert.equal(s.challenger?.percent, 1);
    for (const expected of [5, 25, 50, 100]) {
      s = state(advanceRollout(s, 20));
      assert.equal(s.challenger?.percent, expected);
      assert.equal(s.challenger?.stageStartedAtMs, 20);
    }
    const done = advanceRollout(s, 30);
    assert.ok(done.ok);
    assert.equal(done.change.kind, 'rollout-promote');
    assert.equal(done.state.champion, 'card-fraud@2');
    assert.equal(done.state.challenger, null);
  });

  it('promotes a rollout only: a shadow has served nobody', () => {
    const shadow = state(
      startShadow(INITIAL_SERVING_STATE, { model: 'card-fraud@2', champion: 'card-fraud@1', salt: 'x', nowMs: 10 }),
    );
    const refused = promoteRollout(shadow);
    assert.ok(!refused.ok);
    assert.equal(
      refused.problem,
      'card-fraud@2 is in shadow, not in a rollout: promote takes a rollout to 100 %; start one with ' +
        '`fraudscore rollout start card-fraud@2`',
    );
  });

  it('refuses the champion as its own challenger, in shadow and in a rollout, before any other refusal', () => {
    const itself = 'card-fraud@5 is the champion: a challenger is another model to compare with it';
    const start = { model: 'card-fraud@5', champion: 'card-fraud@5', salt: 's', nowMs: 0 };
    assert.deepEqual(startShadow(INITIAL_SERVING_STATE, start), { ok: false, problem: itself });
    assert.deepEqual(startRollout(INITIAL_SERVING_STATE, { ...start, plan: [1, 100], stepMs: 0 }), {
      ok: false,
      problem: itself,
    });
    // Said first, as it always was: a plan that is no plan or a live challenger are beside the point.
    assert.deepEqual(startRollout(INITIAL_SERVING_STATE, { ...start, plan: [], stepMs: 0 }), {
      ok: false,
      problem: itself,
    });
    assert.deepEqual(startShadow(rollout(), start), { ok: false, problem: itself });
    // Another version of the same model is a challenger.
    assert.ok(startShadow(INITIAL_SERVING_STATE, { ...start, model: 'card-fraud@6' }).ok);
    assert.ok(startRollout(INITIAL_SERVING_STATE, { ...start, model: 'card-fraud@6', plan: [1, 100], stepMs: 0 }).ok);
  });

  it('says since when the kill switch is on as a date', () => {
    const on = state(killSwitchOn(INITIAL_SERVING_STATE, { target: 'card-fraud@1', reason: 'r', nowMs: 86_400_000 }));
    const again = killSwitchOn(on, { target: 'card-fraud@1', reason: 'r', nowMs: 90_000_000 });
    assert.ok(!again.ok);
    assert.equal(again.problem, 'the kill switch is already on (since 1970-01-02T00:00:00.000Z), serving card-fraud@1');
  });

  it("refuses a window whose minRecords, set or the topology file's, is above its maxRecords", () => {
    const file = { maxRecords: 1000, minRecords: 100 };
    assert.equal(windowProblem({ maxRecords: 500, maxWaitMs: null, minRecords: 200 }, file), null);
    assert.equal(
      windowProblem({ maxRecords: 500, maxWaitMs: null, minRecords: 1000 }, file),
      'batch.minRecords (1000) must be at most batch.maxRecords (500): set it to maxRecords to close batches only ' +
        'by size or time',
    );
    assert.equal(
      windowProblem({ maxRecords: null, maxWaitMs: null, minRecords: null }, { maxRecords: 1000, minRecords: 100 }),
      null,
    );
    assert.match(
      windowProblem({ maxRecords: 100, maxWaitMs: null, minRecords: null }, { maxRecords: 1000, minRecords: 300 }) ??
        '',
      /^batch\.minRecords \(300, the topology file's\) must be at most batch\.maxRecords \(100\)/,
    );
  });

  it('promote skips to champion; abort and rollback return to the champion at once', () => {
    assert.equal(state(promoteRollout(rollout())).champion, 'card-fraud@2');
    assert.equal(state(abortRollout(rollout())).challenger, null);
    const rolledBack = rollbackRollout(rollout(), { gate: 'score_psi', psi: 0.9 });
    assert.ok(rolledBack.ok);
    assert.equal(rolledBack.state.challenger, null);
    assert.equal(rolledBack.change.kind, 'rollout-rollback');
    assert.equal(rolledBack.change.details['gate'], 'score_psi');
  });

  it('pauses and resumes, restarting the stage clock', () => {
    const paused = state(pauseRollout(rollout()));
    assert.equal(paused.challenger?.paused, true);
    assert.equal(pauseRollout(paused).ok, false);
    const resumed = state(resumeRollout(paused, 99));
    assert.equal(resumed.challenger?.paused, false);
    assert.equal(resumed.challenger?.stageStartedAtMs, 99);
  });

  it('refuses what makes no sense, saying why', () => {
    assert.match((pauseRollout(INITIAL_SERVING_STATE) as { problem: string }).problem, /no rollout/);
    const shadow = state(
      startShadow(INITIAL_SERVING_STATE, { model: 'card-fraud@2', champion: 'card-fraud@1', salt: 's', nowMs: 0 }),
    );
    assert.equal(
      startShadow(shadow, { model: 'card-fraud@3', champion: 'card-fraud@1', salt: 's', nowMs: 0 }).ok,
      false,
    );
    // A shadow of the same model goes on into a rollout.
    assert.equal(rollout(shadow).challenger?.mode, 'rollout');
    assert.match(checkPlan([5, 1, 100]) ?? '', /increase/);
    assert.match(checkPlan([1, 5]) ?? '', /100/);
  });

  it('kill switch on serves the target and keeps the pre-kill state for off', () => {
    const live = rollout();
    const killed = state(killSwitchOn(live, { target: 'card-fraud@1', reason: 'drill', nowMs: 5 }));
    const plan = servingPlan({ version: 3, state: killed, record: null }, defaults);
    assert.equal(plan.decider, 'card-fraud@1');
    assert.equal(plan.killed, true);
    assert.equal(plan.challenger, null, 'no challenger scores during a kill');
    const back = state(killSwitchOff(killed, 8));
    assert.deepEqual(back, { ...live, challenger: { ...live.challenger, stageStartedAtMs: 8 } });
    assert.equal(killSwitchOn(killed, { target: 'x@1', reason: 'again', nowMs: 6 }).ok, false);
    // A stage judged before the kill does not advance after it: off returns to the exposure the kill found.
    const advanced = advanceRollout(killed, 7);
    assert.equal(advanced.ok, false);
    assert.match(advanced.ok ? '' : advanced.problem, /kill switch is on/);
  });

  it('kill switch off starts a live stage over, as a resume does: its gates see a full step after the kill', () => {
    // The stage started at 10 ms; the kill lasted far beyond its 1,000 ms step while nobody saw the challenger.
    const killed = state(killSwitchOn(rollout(), { target: 'card-fraud@1', reason: 'incident', nowMs: 50 }));
    const back = state(killSwitchOff(killed, 5_000));
    assert.equal(back.challenger?.stageStartedAtMs, 5_000);
    assert.equal(back.challenger?.percent, 1, 'the same stage, at the same exposure');
    // A paused rollout stays paused: its stage starts over when it is resumed.
    const paused = state(
      killSwitchOn(state(pauseRollout(rollout())), { target: 'card-fraud@1', reason: 'r', nowMs: 50 }),
    );
    assert.equal(state(killSwitchOff(paused, 5_000)).challenger?.stageStartedAtMs, 10);
    // A shadow has no stage to judge: it is left as it was.
    const shadow = state(
      startShadow(INITIAL_SERVING_STATE, { model: 'card-fraud@2', champion: 'card-fraud@1', salt: 's', nowMs: 3 }),
    );
    const shadowKilled = state(killSwitchOn(shadow, { target: 'card-fraud@1', reason: 'r', nowMs: 50 }));
    assert.deepEqual(state(killSwitchOff(shadowKilled, 5_000)), shadow);
  });

  it('batch window overrides follow the topology limits', () => {
    const parsed = parseSettings(['batch.maxRecords=500', 'batch.maxWaitMs=5000'], INITIAL_SERVING_STATE.batch);
    assert.ok(parsed.ok);
    const s = state(setBatchWindow(INITIAL_SERVING_STATE, parsed.window));
    assert.deepEqual(servingPlan({ version: 1, state: s, record: null }, defaults).window, {
      maxRecords: 500,
      maxWaitMs: 5000,
    });
    const tooBig = parseSettings(['batch.maxRecords=5000'], INITIAL_SERVING_STATE.batch);
    assert.ok(tooBig.ok);
    assert.match((setBatchWindow(INITIAL_SERVING_STATE, tooBig.window) as { problem: string }).problem, /maxRecords/);
    assert.equal(
      setBatchWindow(INITIAL_SERVING_STATE, { maxRecords: null, maxWaitMs: 30_001, minRecords: null }).ok,
      false,
    );
    assert.match(
      (parseSettings(['batch.size=1'], INITIAL_SERVING_STATE.batch) as { problem: string }).problem,
      /unknown/,
    );
    const back = parseSettings(['batch.maxRecords=default'], s.batch);
    assert.ok(back.ok);
    assert.equal(back.window.maxRecords, null);
    assert.equal(back.window.maxWaitMs, 5000, 'other fields keep their override');
    // The live-stream close: the control topic's value wins over the topology's; absent in both, none.
    const live = parseSettings(['batch.minRecords=1000'], s.batch);
    assert.ok(live.ok);
    const tuned = state(setBatchWindow(s, live.window));
    const withTopologyMin = { ...defaults, window: { ...defaults.window, minRecords: 100 } };
    assert.equal(servingPlan({ version: 2, state: tuned, record: null }, withTopologyMin).window.minRecords, 1000);
    assert.equal(servingPlan({ version: 2, state: s, record: null }, withTopologyMin).window.minRecords, 100);
    assert.equal(setBatchWindow(s, { ...s.batch, minRecords: 0 }).ok, false);
    // A control record written before minRecords existed reads as no override.
    assert.equal(batchWindowOverrideSchema.parse({ maxRecords: 500, maxWaitMs: null }).minRecords, null);
  });
});

describe('control set arguments checked alone', () => {
  it('tells a mistyped key, a value that is no number and one out of range without the current state', () => {
    assert.equal(
      settingsProblem(['batch.maxRecrods=500']),
      'unknown setting "batch.maxRecrods"; settable: batch.maxRecords, batch.maxWaitMs, batch.minRecords',
    );
    assert.equal(settingsProblem(['batch.maxWaitMs=5s']), 'batch.maxWaitMs: "5s" is not a whole number (or "default")');
    assert.match(settingsProblem(['batch.minRecords=0']) ?? '', /^batch\.minRecords: /);
    assert.match(settingsProblem(['batch.maxWaitMs=30001']) ?? '', /^batch\.maxWaitMs: /);
    // The topology file's floor holds live too (a record below it, written before, is still read).
    assert.equal(settingsProblem(['batch.maxWaitMs=9']), 'batch.maxWaitMs: at least 10 ms, as in the topology file');
    assert.equal(settingsProblem(['batch.maxWaitMs=10']), null);
    assert.match(settingsProblem([]) ?? '', /^nothing to set/);
  });

  it('passes what the transition would take, defaults included', () => {
    assert.equal(settingsProblem(['batch.maxRecords=500', 'batch.maxWaitMs=5000', 'batch.minRecords=1000']), null);
    assert.equal(settingsProblem(['batch.maxRecords=default']), null);
  });
});

describe('folding control records', () => {
  it('applies only newer versions of its own topology', () => {
    const t = setBatchWindow(INITIAL_SERVING_STATE, { maxRecords: 200, maxWaitMs: null, minRecords: null });
    assert.ok(t.ok);
    const r1 = nextRecord(EMPTY_VIEW, 'card', t, { actor: 'a', reason: 'r', nowMs: 1 });
    assert.equal(r1.version, 1);
    const v1 = foldControl(EMPTY_VIEW, r1, 'card');
    assert.equal(v1.version, 1);
    assert.equal(foldControl(v1, r1, 'card'), v1, 'a replayed record changes nothing');
    assert.equal(foldControl(EMPTY_VIEW, { ...r1, topology: 'other' }, 'card'), EMPTY_VIEW);
    const r2 = nextRecord(v1, 'card', t, { actor: 'a', reason: 'r', nowMs: 2 });
    assert.equal(foldControl(v1, r2, 'card').version, 2);
  });

  it('a plan lets the decider and a routed rollout challenger decide, never a shadow', () => {
    const deciding = (s: ServingState) => decidingModels(servingPlan({ version: 1, state: s, record: null }, defaults));
    const live = rollout();
    assert.deepEqual(deciding(INITIAL_SERVING_STATE), ['card-fraud@1']);
    assert.deepEqual(deciding(live), ['card-fraud@1', 'card-fraud@2']);
    const shadow = state(
      startShadow(INITIAL_SERVING_STATE, { model: 'card-fraud@2', champion: 'card-fraud@1', salt: 's', nowMs: 0 }),
    );
    assert.deepEqual(deciding(shadow), ['card-fraud@1'], 'a shadow scores every record and decides none');
    const killed = state(killSwitchOn(live, { target: 'card-fraud@0', reason: 'drill', nowMs: 5 }));
    assert.deepEqual(deciding(killed), ['card-fraud@0'], "the kill switch's target alone");
    assert.deepEqual(deciding(state(promoteRollout(live))), ['card-fraud@2']);
    assert.deepEqual(deciding(state(rollbackRollout(live, {}))), ['card-fraud@1']);
  });

  it('a plan in a rollout names both models; shadow routes nobody', () => {
    const shadow = state(
      startShadow(INITIAL_SERVING_STATE, { model: 'card-fraud@2', champion: 'card-fraud@1', salt: 's', nowMs: 0 }),
    );
    const plan = servingPlan({ version: 1, state: shadow, record: null }, defaults);
    assert.equal(plan.decider, 'card-fraud@1');
    assert.equal(plan.challenger?.percent, 0);
    assert.equal(plan.challenger?.mode, 'shadow');
  });
});
