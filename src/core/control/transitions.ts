import { GATE_BOUNDS, gateBoundProblem, type RolloutGateBounds } from './gate-bounds.js';
import {
  batchWindowOverrideSchema,
  DEFAULT_ROLLOUT_PLAN,
  MIN_BATCH_WAIT_MS,
  type BatchWindowOverride,
  type ChallengerState,
  type ControlChange,
  type ServingState,
} from './serving-state.js';

/**
 * Every change an operator or the rollout controller can make, as pure functions from the current serving state to
 * the next one plus the change record's `change` part. Refusals say what is wrong and what to do instead.
 */
export type Transition =
  | { readonly ok: true; readonly state: ServingState; readonly change: ControlChange }
  | { readonly ok: false; readonly problem: string };

function ok(state: ServingState, kind: ControlChange['kind'], details: Record<string, unknown> = {}): Transition {
  return { ok: true, state, change: { kind, details } };
}

function refuse(problem: string): Transition {
  return { ok: false, problem };
}

/** Validates a rollout plan: strictly increasing percentages in (0, 100] ending at 100. */
export function checkPlan(plan: readonly number[]): string | null {
  if (plan.length === 0) return 'the plan needs at least one stage, e.g. 1,5,25,50,100';
  for (let i = 0; i < plan.length; i++) {
    const step = plan[i] as number;
    if (!Number.isFinite(step) || step <= 0 || step > 100) return `stage ${step} is not a percentage in (0, 100]`;
    if (i > 0 && step <= (plan[i - 1] as number)) return `stages must increase: ${plan.join(',')}`;
  }
  if (plan[plan.length - 1] !== 100) return `the last stage must be 100 (the plan is ${plan.join(',')})`;
  return null;
}

export function setBatchWindow(state: ServingState, window: BatchWindowOverride): Transition {
  const parsed = batchWindowOverrideSchema.safeParse(window);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(`batch.${issue?.path.map(String).join('.')}: ${issue?.message ?? 'invalid'}`);
  }
  // The topology file's floor, which records read before it applied to changes may be below.
  if (parsed.data.maxWaitMs !== null && parsed.data.maxWaitMs < MIN_BATCH_WAIT_MS) {
    return refuse(`batch.maxWaitMs: at least ${MIN_BATCH_WAIT_MS} ms, as in the topology file`);
  }
  return ok({ ...state, batch: parsed.data }, 'batch-window', { ...parsed.data });
}

export function setChampion(state: ServingState, model: string): Transition {
  if (state.challenger) return refuse(`a challenger (${state.challenger.model}) is live: abort or promote it first`);
  return ok({ ...state, champion: model }, 'set-champion', { model });
}

export interface ChallengerStart {
  readonly model: string;
  /**
   * The champion serving now: the state's, or the topology's model when the state names none (the state alone cannot
   * say which, so the caller resolves it).
   */
  readonly champion: string;
  readonly salt: string;
  readonly nowMs: number;
}

/** Why `start.model` cannot be a challenger: it is the champion it would be compared with. */
function challengerProblem(start: ChallengerStart): string | null {
  return start.model === start.champion
    ? `${start.model} is the champion: a challenger is another model to compare with it`
    : null;
}

export function startShadow(state: ServingState, start: ChallengerStart): Transition {
  const itself = challengerProblem(start);
  if (itself) return refuse(itself);
  if (state.challenger) {
    return refuse(`a challenger (${state.challenger.model}, ${state.challenger.mode}) is live: stop or abort it first`);
  }
  const challenger: ChallengerState = {
    model: start.model,
    mode: 'shadow',
    percent: 0,
    plan: [...DEFAULT_ROLLOUT_PLAN],
    stageIndex: -1,
    stepMs: 0,
    salt: start.salt,
    paused: false,
    stageStartedAtMs: start.nowMs,
  };
  return ok({ ...state, challenger }, 'shadow-start', { model: start.model });
}

export function stopShadow(state: ServingState): Transition {
  if (state.challenger?.mode !== 'shadow') return refuse('no challenger is in shadow');
  return ok({ ...state, challenger: null }, 'shadow-stop', { model: state.challenger.model });
}

/** Why a rollout's own gate bounds cannot be judged with (the first bound out of its range), or null. */
export function rolloutBoundsProblem(gates: RolloutGateBounds | undefined): string | null {
  for (const bound of GATE_BOUNDS) {
    const value = gates?.[bound];
    const problem = value === undefined ? null : gateBoundProblem(bound, value);
    if (problem !== null) return `gates.${bound}: ${value} is out of range: ${problem}`;
  }
  return null;
}

export function startRollout(
  state: ServingState,
  start: ChallengerStart & {
    readonly plan: readonly number[];
    readonly stepMs: number;
    /** Bounds judged in place of the topology's for this rollout only; none: the topology's. */
    readonly gates?: RolloutGateBounds;
  },
): Transition {
  const problem = challengerProblem(start) ?? checkPlan(start.plan) ?? rolloutBoundsProblem(start.gates);
  if (problem) return refuse(problem);
  const current = state.challenger;
  if (current && !(current.mode === 'shadow' && current.model === start.model)) {
    return refuse(`a challenger (${current.model}, ${current.mode}) is live: abort it first`);
  }
  if (state.killSwitch.on) return refuse('the kill switch is on: turn it off before starting a rollout');
  const challenger: ChallengerState = {
    model: start.model,
    mode: 'rollout',
    percent: start.plan[0] as number,
    plan: [...start.plan],
    stageIndex: 0,
    stepMs: start.stepMs,
    // Keeping the shadow's salt changes nothing for routing (shadow routes nobody); a fresh rollout gets a new one.
    salt: current?.salt ?? start.salt,
    paused: false,
    stageStartedAtMs: start.nowMs,
    ...ownBounds(start.gates),
  };
  return ok({ ...state, challenger }, 'rollout-start', {
    model: start.model,
    plan: start.plan,
    stepMs: start.stepMs,
    percent: challenger.percent,
    ...ownBounds(start.gates),
  });
}

/** The `gates` of a rollout that set bounds of its own; nothing at all when it set none (the record reads as before). */
function ownBounds(gates: RolloutGateBounds | undefined): { gates?: RolloutGateBounds } {
  const set = Object.fromEntries(GATE_BOUNDS.flatMap((b) => (gates?.[b] === undefined ? [] : [[b, gates[b]]])));
  return Object.keys(set).length === 0 ? {} : { gates: set };
}

function isoTime(ms: number | null): string {
  return ms === null ? 'an unknown time' : new Date(ms).toISOString();
}

function requireRollout(state: ServingState): ChallengerState | string {
  if (state.challenger?.mode !== 'rollout')
    return 'no rollout in progress (`fraudscore rollout status` shows the state)';
  return state.challenger;
}

export function pauseRollout(state: ServingState): Transition {
  const rollout = requireRollout(state);
  if (typeof rollout === 'string') return refuse(rollout);
  if (rollout.paused) return refuse('the rollout is already paused');
  return ok({ ...state, challenger: { ...rollout, paused: true } }, 'rollout-pause', { percent: rollout.percent });
}

export function resumeRollout(state: ServingState, nowMs: number): Transition {
  const rollout = requireRollout(state);
  if (typeof rollout === 'string') return refuse(rollout);
  if (!rollout.paused) return refuse('the rollout is not paused');
  // The stage starts over: its gates are judged on a full step of traffic after the pause.
  return ok({ ...state, challenger: { ...rollout, paused: false, stageStartedAtMs: nowMs } }, 'rollout-resume', {
    percent: rollout.percent,
  });
}

/**
 * Next stage; from the last stage (100 %) the challenger becomes the champion. Refused while the kill switch is on:
 * evidence judged before the kill must not raise the exposure that `kill-switch off` returns to.
 */
export function advanceRollout(state: ServingState, nowMs: number, details: Record<string, unknown> = {}): Transition {
  const rollout = requireRollout(state);
  if (typeof rollout === 'string') return refuse(rollout);
  if (state.killSwitch.on) return refuse('the kill switch is on: the rollout holds until it is turned off');
  const next = rollout.stageIndex + 1;
  if (next >= rollout.plan.length) return promoteRollout(state, details);
  const percent = rollout.plan[next] as number;
  return ok(
    { ...state, challenger: { ...rollout, stageIndex: next, percent, stageStartedAtMs: nowMs } },
    'rollout-advance',
    { ...details, from: rollout.percent, to: percent },
  );
}

/** Skips to 100 %: the challenger becomes the champion (and the registry's champion, done by the caller). */
export function promoteRollout(state: ServingState, details: Record<string, unknown> = {}): Transition {
  const challenger = state.challenger;
  if (!challenger) return refuse('no challenger to promote');
  // A shadow has served nobody: promoting it would skip every stage and gate at once.
  if (challenger.mode !== 'rollout') {
    return refuse(
      `${challenger.model} is in shadow, not in a rollout: promote takes a rollout to 100 %; start one with ` +
        `\`fraudscore rollout start ${challenger.model}\``,
    );
  }
  if (state.killSwitch.on) return refuse('the kill switch is on: turn it off before promoting');
  return ok({ ...state, champion: challenger.model, challenger: null }, 'rollout-promote', {
    ...details,
    model: challenger.model,
    previousChampion: state.champion,
  });
}

export function abortRollout(state: ServingState): Transition {
  if (!state.challenger) return refuse('no challenger to abort');
  return ok({ ...state, challenger: null }, 'rollout-abort', {
    model: state.challenger.model,
    percent: state.challenger.percent,
  });
}

/** A failed gate: challenger to 0 %, the champion serves; the change records the gate and its figures. */
export function rollbackRollout(state: ServingState, details: Record<string, unknown>): Transition {
  const rollout = requireRollout(state);
  if (typeof rollout === 'string') return refuse(rollout);
  return ok({ ...state, challenger: null }, 'rollout-rollback', {
    ...details,
    model: rollout.model,
    percent: rollout.percent,
  });
}

export function killSwitchOn(state: ServingState, kill: { target: string; reason: string; nowMs: number }): Transition {
  if (state.killSwitch.on)
    return refuse(
      `the kill switch is already on (since ${isoTime(state.killSwitch.sinceMs)}), serving ${state.killSwitch.target}`,
    );
  return ok(
    { ...state, killSwitch: { on: true, reason: kill.reason, target: kill.target, sinceMs: kill.nowMs } },
    'kill-switch-on',
    { target: kill.target },
  );
}

/**
 * Back to the pre-kill state: everything but the switch was left as it was, except that a live rollout's stage starts
 * over at `nowMs`, as after a pause (resumeRollout). The kill served nobody with the challenger: the step's time and
 * evidence from before it would let the stage pass its gates on the traffic it saw before the kill.
 */
export function killSwitchOff(state: ServingState, nowMs: number): Transition {
  if (!state.killSwitch.on) return refuse('the kill switch is not on');
  const rollout = state.challenger;
  const challenger =
    rollout?.mode === 'rollout' && !rollout.paused ? { ...rollout, stageStartedAtMs: nowMs } : state.challenger;
  return ok(
    { ...state, challenger, killSwitch: { on: false, reason: '', target: null, sinceMs: null } },
    'kill-switch-off',
    { target: state.killSwitch.target },
  );
}
