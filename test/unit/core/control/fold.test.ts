import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  abortRollout,
  advanceRollout,
  EMPTY_VIEW,
  foldControl,
  MAX_CONTROL_VERSION,
  nextRecord,
  parseControlRecord,
  pauseRollout,
  promoteRollout,
  resumeRollout,
  rollbackRollout,
  startRollout,
  type ControlRecord,
  type ControlView,
  type RolloutGateBounds,
  type ServingState,
  type Transition,
} from '../../../../src/core/control/index.js';

const TOPOLOGY = 'card-payments';

/** The record a change writes, as a reader of the topic folds it: JSON text, parsed again. */
function written(view: ControlView, transition: Transition): ControlRecord {
  assert.ok(transition.ok, transition.ok ? '' : transition.problem);
  const record = nextRecord(view, TOPOLOGY, transition, { actor: 'test', reason: 'test', nowMs: 5 });
  const read = parseControlRecord(JSON.stringify(record));
  assert.ok(read.ok, read.ok ? '' : read.problem);
  return read.record;
}

/** Folds the record `change` makes of the view's state, as every reader does. */
function fold(view: ControlView, change: (state: ServingState) => Transition): ControlView {
  return foldControl(view, written(view, change(view.state)), TOPOLOGY);
}

const start =
  (model: string, gates?: RolloutGateBounds) =>
  (state: ServingState): Transition =>
    startRollout(state, {
      model,
      champion: 'card-fraud@1',
      salt: 'salt',
      nowMs: 0,
      plan: [5, 50, 100],
      stepMs: 60_000,
      ...(gates ? { gates } : {}),
    });

/** A rollout-start record as one written before rollouts had bounds of their own (and before the log id). */
const OLDER_RECORD = JSON.stringify({
  format: 1,
  topology: TOPOLOGY,
  version: 3,
  atMs: 1_765_000_000_000,
  actor: 'ops@host',
  reason: 'rollout',
  change: { kind: 'rollout-start', details: { model: 'card-fraud@2', plan: [5, 100], stepMs: 60000, percent: 5 } },
  state: {
    champion: null,
    challenger: {
      model: 'card-fraud@2',
      mode: 'rollout',
      percent: 5,
      plan: [5, 100],
      stageIndex: 0,
      stepMs: 60000,
      salt: 'abc',
      paused: false,
      stageStartedAtMs: 1_765_000_000_000,
    },
    killSwitch: { on: false, reason: '', target: null, sinceMs: null },
    batch: { maxRecords: null, maxWaitMs: null, minRecords: null },
  },
});

describe("control record: a rollout's own gate bounds", () => {
  it('round-trip through the JSON a worker reads, in the state and in the change', () => {
    const view = fold(EMPTY_VIEW, start('card-fraud@2', { maxScorePsi: 2, aucMargin: 0.02 }));
    assert.deepEqual(view.state.challenger?.gates, { maxScorePsi: 2, aucMargin: 0.02 });
    assert.deepEqual(view.record?.change.details['gates'], { maxScorePsi: 2, aucMargin: 0.02 });
    assert.deepEqual(parseControlRecord(JSON.stringify(view.record)), { ok: true, record: view.record });
  });

  it('are absent from a rollout that set none: its record reads as one written before the field', () => {
    for (const gates of [undefined, {}, { maxScorePsi: undefined }]) {
      const record = written(EMPTY_VIEW, start('card-fraud@2', gates)(EMPTY_VIEW.state));
      assert.equal('gates' in (record.state.challenger ?? {}), false);
      assert.equal('gates' in record.change.details, false);
    }
  });

  it('an older record without them still reads and folds, its rollout judged by the topology', () => {
    const parsed = parseControlRecord(OLDER_RECORD);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problem);
    assert.equal(parsed.record.state.challenger?.gates, undefined);
    const view = foldControl(EMPTY_VIEW, parsed.record, TOPOLOGY);
    assert.equal(view.version, 3);
    assert.equal(view.state.challenger?.model, 'card-fraud@2');
    // And a change made on it carries none either.
    const next = fold(view, (state) => advanceRollout(state, 10));
    assert.equal(next.state.challenger?.percent, 100);
    assert.equal(next.state.challenger?.gates, undefined);
  });

  it('a bound a later version knows and this one does not is dropped, the record still read', () => {
    const later = JSON.parse(OLDER_RECORD) as { state: { challenger: Record<string, unknown> } };
    later.state.challenger['gates'] = { maxScorePsi: 3, maxLatencyP99Ms: 50 };
    const parsed = parseControlRecord(JSON.stringify(later));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problem);
    assert.deepEqual(parsed.record.state.challenger?.gates, { maxScorePsi: 3 });
  });

  it('out of range, the record is refused naming the field (the transition refuses it before it is written)', () => {
    const bad = JSON.parse(OLDER_RECORD) as { state: { challenger: Record<string, unknown> } };
    bad.state.challenger['gates'] = { maxScorePsi: 0 };
    const parsed = parseControlRecord(JSON.stringify(bad));
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.problem, /^state\.challenger\.gates\.maxScorePsi: /);
  });
});

describe("fold: a rollout's own gate bounds live as long as the rollout", () => {
  const own = fold(EMPTY_VIEW, start('card-fraud@2', { maxScorePsi: 2 }));

  it('are kept through its stages', () => {
    const advanced = fold(own, (state) => advanceRollout(state, 10));
    assert.equal(advanced.state.challenger?.percent, 50);
    assert.deepEqual(advanced.state.challenger?.gates, { maxScorePsi: 2 });
  });

  it('are forgotten when it ends: rolled back, aborted or promoted', () => {
    for (const end of [
      (state: ServingState) => rollbackRollout(state, { gate: 'auc' }),
      abortRollout,
      (state: ServingState) => promoteRollout(state),
    ]) {
      const ended = fold(own, end);
      assert.equal(ended.state.challenger, null, ended.record?.change.kind);
      assert.equal(JSON.stringify(ended.record).includes('maxScorePsi'), false, ended.record?.change.kind);
    }
  });

  it('are not inherited by the next rollout: it has its own, or the topology decides', () => {
    const ended = fold(own, (state) => rollbackRollout(state, { gate: 'score_psi' }));
    const plain = fold(ended, start('card-fraud@3'));
    assert.equal(plain.state.challenger?.model, 'card-fraud@3');
    assert.equal(plain.state.challenger?.gates, undefined);
    const other = fold(fold(plain, abortRollout), start('card-fraud@4', { maxAlertRateDelta: 0.01 }));
    assert.deepEqual(other.state.challenger?.gates, { maxAlertRateDelta: 0.01 });
  });
});

describe('control record: values no transition writes are unreadable, so no reader applies them', () => {
  const rollout = fold(EMPTY_VIEW, start('card-fraud@2'));
  const record = (change: (record: ControlRecord) => object): string => JSON.stringify(change(rollout.record!));
  const withChallenger = (fields: object) =>
    record((r) => ({ ...r, state: { ...r.state, challenger: { ...r.state.challenger, ...fields } } }));

  it('a version above 2^31 - 1, which would leave every later change a version no reader represents', () => {
    assert.equal(MAX_CONTROL_VERSION, 2_147_483_647);
    assert.equal(parseControlRecord(record((r) => ({ ...r, version: MAX_CONTROL_VERSION }))).ok, true);
    for (const version of [MAX_CONTROL_VERSION + 1, Number.MAX_SAFE_INTEGER]) {
      const parsed = parseControlRecord(record((r) => ({ ...r, version })));
      assert.deepEqual(parsed, {
        ok: false,
        problem: 'version: at most 2147483647 (2^31 - 1); a higher version was not written by fraudscore',
      });
    }
  });

  it("a rollout stage outside its plan, or a percent other than the stage's", () => {
    assert.deepEqual(parseControlRecord(withChallenger({ stageIndex: 9 })), {
      ok: false,
      problem: "state.challenger.stageIndex: 9 is not a stage of the rollout's plan (5,50,100): 0 to 2",
    });
    assert.deepEqual(parseControlRecord(withChallenger({ stageIndex: -1 })), {
      ok: false,
      problem: "state.challenger.stageIndex: -1 is not a stage of the rollout's plan (5,50,100): 0 to 2",
    });
    assert.deepEqual(parseControlRecord(withChallenger({ percent: 100 })), {
      ok: false,
      problem: "state.challenger.percent: 100 is not stage 0 of the rollout's plan (5,50,100), which is 5",
    });
    assert.equal(parseControlRecord(withChallenger({ stageIndex: 1, percent: 50 })).ok, true);
  });

  it('every stage a rollout walks through, paused and resumed, still reads', () => {
    let view = rollout;
    view = fold(view, (state) => pauseRollout(state));
    view = fold(view, (state) => resumeRollout(state, 7));
    view = fold(view, (state) => advanceRollout(state, 8));
    view = fold(view, (state) => advanceRollout(state, 9));
    assert.equal(view.state.challenger?.percent, 100);
    view = fold(view, (state) => advanceRollout(state, 10));
    assert.equal(view.state.champion, 'card-fraud@2');
  });
});
