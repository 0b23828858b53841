import type { Kafka } from 'kafkajs';
import type { Topology } from '../config/index.js';
import {
  advanceRollout,
  evaluateGates,
  rollbackRollout,
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
import { labelClock, type ScoreStreams } from './score-reader.js';

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

export type StepOutcome =
  | { readonly kind: 'idle'; readonly why: string }
  | { readonly kind: 'hold'; readonly verdict: GateVerdict; readonly challenger: ChallengerState }
  | {
      readonly kind: 'advanced' | 'promoted' | 'rolled-back';
      readonly verdict: GateVerdict;
      readonly record: ControlRecord;
    };

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

/** The gate verdict of the live stage, if a rollout is live and not paused or killed. */
export function judgeStage(
  topology: Topology,
  view: ControlView,
  champion: string,
  streams: ScoreStreams,
  nowMs: number,
): { verdict: GateVerdict; challenger: ChallengerState } | { why: string } {
  const challenger = view.state.challenger;
  if (!challenger || challenger.mode !== 'rollout') return { why: 'no rollout in progress' };
  if (challenger.paused) return { why: `rollout paused at ${challenger.percent} %` };
  if (view.state.killSwitch.on) return { why: 'kill switch on: the rollout holds' };
  const evidence = stageEvidence(streams.scores, streams.labels, {
    champion,
    challenger: challenger.model,
    stageIndex: challenger.stageIndex,
    startedAtMs: challenger.stageStartedAtMs,
    ...labelClock(topology, streams, nowMs),
  });
  return { verdict: evaluateGates(evidence, gatePolicy(topology), challenger.stepMs), challenger };
}

/**
 * One step of the rollout controller: judge the live stage's gates; advance when they pass (after the last stage
 * the challenger becomes champion, also in the registry, and the old champion the way back), roll back at once when
 * one fails (the record names the gate and its figures), and hold otherwise. The change is written only if the
 * stage is still the one judged (an operator may have paused or aborted meanwhile).
 */
export async function controllerStep(
  topology: Topology,
  kafka: Kafka,
  view: ControlView,
  champion: string,
  streams: ScoreStreams,
  nowMs: number,
): Promise<StepOutcome> {
  const judged = judgeStage(topology, view, champion, streams, nowMs);
  if ('why' in judged) return { kind: 'idle', why: judged.why };
  const { verdict, challenger } = judged;
  if (verdict.status === 'hold') return { kind: 'hold', verdict, challenger };
  const figures = Object.fromEntries(verdict.gates.map((g) => [g.gate, g.figure]));
  const guarded =
    (make: (view: ControlView) => Transition) =>
    (current: ControlView): Transition =>
      sameStage(current.state.challenger, challenger)
        ? make(current)
        : { ok: false, problem: 'the stage changed while it was judged; judging again' };
  const meta = { actor: 'rollout-controller', clock: () => nowMs };
  if (verdict.status === 'fail') {
    const failed = verdict.failed!;
    const { record } = await appendControl(
      kafka,
      topology.name,
      guarded((current) =>
        rollbackRollout(current.state, { gate: failed.gate, figure: failed.figure, values: failed.values, figures }),
      ),
      { ...meta, reason: `automatic rollback: gate ${failed.gate} failed (${failed.figure})` },
    );
    return { kind: 'rolled-back', verdict, record };
  }
  const { record } = await appendControl(
    kafka,
    topology.name,
    guarded((current) => advanceRollout(current.state, nowMs, { gates: figures })),
    { ...meta, reason: `gates held at ${challenger.percent} % over the stage` },
  );
  if (record.change.kind === 'rollout-promote') {
    const ref = parseModelRef(record.state.champion ?? '');
    if (ref.ok) await openFsRegistry(topology.model.registry).setChampion(ref.ref.name, ref.ref.version);
    return { kind: 'promoted', verdict, record };
  }
  return { kind: 'advanced', verdict, record };
}

export function formatVerdict(verdict: GateVerdict): string[] {
  return verdict.gates.map((g) => `    ${g.status.toUpperCase().padEnd(4)} ${g.gate.padEnd(11)} ${g.figure}`);
}
