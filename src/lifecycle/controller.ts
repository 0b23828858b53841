import type { Kafka } from 'kafkajs';
import type { Topology } from '../config/index.js';
import {
  advanceRollout,
  evaluateGates,
  gateRetention,
  rollbackRollout,
  rolloutGatePolicy,
  stageEvidence,
  type ChallengerState,
  type ControlRecord,
  type ControlView,
  type GatePolicy,
  type GateVerdict,
  type Transition,
} from '../core/control/index.js';
import { parseModelRef } from '../core/models/ref.js';
import { appendControl } from '../adapters/kafka/control/index.js';
import { openFsRegistry } from '../adapters/model-registry/index.js';
import { connecting } from '../runtime/startup-errors.js';
import { labelClock, type ScoreStreams } from './score-reader.js';

/** The topology's gates; a rollout judges by `stagePolicy`, which puts the rollout's own bounds in their place. */
export function gatePolicy(topology: Topology): GatePolicy {
  const { gates } = topology.rollout;
  return {
    minRecords: gates.minRecords,
    latencyP99Ms: topology.serving.batchP99Ms,
    maxAlertRateDelta: gates.maxAlertRateDelta,
    maxScorePsi: gates.maxScorePsi,
    aucMargin: gates.aucMargin,
    minLabelled: gates.minLabelled,
    alertAt: topology.decision.reviewAt,
  };
}

/** The gates a rollout's stage is judged by: the topology's, with the bounds the rollout set for itself. */
export function stagePolicy(topology: Topology, challenger: ChallengerState): GatePolicy {
  return rolloutGatePolicy(gatePolicy(topology), challenger.gates);
}

export type StepOutcome =
  | { readonly kind: 'idle'; readonly why: string }
  | { readonly kind: 'hold'; readonly verdict: GateVerdict; readonly challenger: ChallengerState }
  | {
      readonly kind: 'advanced' | 'rolled-back';
      readonly verdict: GateVerdict;
      readonly record: ControlRecord;
    }
  | {
      readonly kind: 'promoted';
      readonly verdict: GateVerdict;
      readonly record: ControlRecord;
      /** Why the registry's champion was not set (the control topic's is, and wins): null when it was. */
      readonly registryProblem: string | null;
    }
  /**
   * The gates asked for a change but its control record could not be written (the broker, the control topic): the
   * stage is where it was, and the next step judges it again and writes what it then asks for.
   */
  | {
      readonly kind: 'unwritten';
      readonly change: 'advance' | 'rollback';
      readonly verdict: GateVerdict;
      readonly challenger: ChallengerState;
      readonly why: string;
    };

/** What the controller writes: the control record of a change, and a promoted champion into the model registry. */
export interface ControllerWriter {
  append(
    transition: (view: ControlView) => Transition,
    meta: { readonly actor: string; readonly reason: string; readonly clock: () => number },
  ): Promise<ControlRecord>;
  setChampion(name: string, version: string): Promise<void>;
}

/**
 * The control topic through `kafka`, a failure to reach it explained as the other control commands explain it (the
 * field, the cause and the fix), and the topology's model registry.
 */
export function controllerWriter(topology: Topology, kafka: Kafka): ControllerWriter {
  return {
    append: async (transition, meta) =>
      (await connecting('kafka', topology, () => appendControl(kafka, topology.name, transition, meta))).record,
    setChampion: async (name, version) => {
      await openFsRegistry(topology.model.registry).setChampion(name, version);
    },
  };
}

function sameStage(a: ChallengerState | null, b: ChallengerState): boolean {
  return (
    a !== null &&
    a.mode === 'rollout' &&
    !a.paused &&
    a.salt === b.salt &&
    a.stageIndex === b.stageIndex &&
    a.stageStartedAtMs === b.stageStartedAtMs
  );
}

/** Why no stage is judged in this view (no rollout, paused, the kill switch on), or null: a live stage is. */
export function stageNotJudged(view: ControlView): string | null {
  const challenger = view.state.challenger;
  if (!challenger || challenger.mode !== 'rollout') return 'no rollout in progress';
  if (challenger.paused) return `rollout paused at ${challenger.percent} %`;
  if (view.state.killSwitch.on) return 'kill switch on: the rollout holds';
  return null;
}

export function judgeStage(
  topology: Topology,
  view: ControlView,
  champion: string,
  streams: ScoreStreams,
  nowMs: number,
): { verdict: GateVerdict; challenger: ChallengerState } | { why: string } {
  const challenger = view.state.challenger;
  const why = stageNotJudged(view);
  if (why !== null || !challenger) return { why: why ?? 'no rollout in progress' };
  const evidence = stageEvidence(
    streams.scores,
    streams.labels,
    {
      champion,
      challenger: challenger.model,
      stageIndex: challenger.stageIndex,
      startedAtMs: challenger.stageStartedAtMs,
      ...labelClock(topology, streams, nowMs),
    },
    streams.firstUses,
  );
  return { verdict: evaluateGates(evidence, stagePolicy(topology, challenger), challenger.stepMs), challenger };
}

/**
 * One step of the rollout controller: judge the live stage's gates; advance when they pass (after the last stage
 * the challenger becomes champion, also in the registry, and the old champion the way back), roll back at once when
 * one fails (the record names the gate and its figures), and hold otherwise. The change is written only if the
 * stage is still the one judged (an operator may have paused or aborted meanwhile: idle, judged again next step).
 * A change that cannot be written is `unwritten`, never thrown: the stage stays, and the next step tries again.
 *
 * First it tells the score streams which scores its gates can still need (gateRetention): a controller follows the
 * topics for days, and keeps only the live stage's evidence (and what a stage it does not see yet may need).
 */
export async function controllerStep(
  topology: Topology,
  writer: ControllerWriter,
  view: ControlView,
  champion: string,
  streams: ScoreStreams,
  nowMs: number,
): Promise<StepOutcome> {
  streams.retain(gateRetention(view.state, nowMs));
  const judged = judgeStage(topology, view, champion, streams, nowMs);
  if ('why' in judged) return { kind: 'idle', why: judged.why };
  const { verdict, challenger } = judged;
  if (verdict.status === 'hold') return { kind: 'hold', verdict, challenger };
  const figures = Object.fromEntries(verdict.gates.map((g) => [g.gate, g.figure]));
  const change = verdict.status === 'fail' ? 'rollback' : 'advance';
  const make = (current: ControlView): Transition => {
    if (change === 'advance') return advanceRollout(current.state, nowMs, { gates: figures });
    const failed = verdict.failed!;
    return rollbackRollout(current.state, { gate: failed.gate, figure: failed.figure, values: failed.values, figures });
  };
  // The state refusing the change (the stage moved on meanwhile) is no failure to write: nothing is to be written.
  const refusal: { problem: string | null } = { problem: null };
  const guarded = (current: ControlView): Transition => {
    const transition = sameStage(current.state.challenger, challenger)
      ? make(current)
      : { ok: false as const, problem: 'the stage changed while it was judged; judging again' };
    if (!transition.ok) refusal.problem = transition.problem;
    return transition;
  };
  const reason =
    change === 'rollback'
      ? `automatic rollback: gate ${verdict.failed!.gate} failed (${verdict.failed!.figure})`
      : `gates held at ${challenger.percent} % over the stage`;
  let record: ControlRecord;
  try {
    record = await writer.append(guarded, { actor: 'rollout-controller', reason, clock: () => nowMs });
  } catch (error) {
    if (refusal.problem !== null) return { kind: 'idle', why: refusal.problem };
    return { kind: 'unwritten', change, verdict, challenger, why: (error as Error).message };
  }
  if (change === 'rollback') return { kind: 'rolled-back', verdict, record };
  if (record.change.kind !== 'rollout-promote') return { kind: 'advanced', verdict, record };
  const ref = parseModelRef(record.state.champion ?? '');
  let registryProblem: string | null = ref.ok ? null : ref.problem;
  if (ref.ok) {
    try {
      await writer.setChampion(ref.ref.name, ref.ref.version);
    } catch (error) {
      registryProblem = (error as Error).message;
    }
  }
  return { kind: 'promoted', verdict, record, registryProblem };
}

export function formatVerdict(verdict: GateVerdict): string[] {
  return verdict.gates.map((g) => `    ${g.status.toUpperCase().padEnd(4)} ${g.gate.padEnd(11)} ${g.figure}`);
}
