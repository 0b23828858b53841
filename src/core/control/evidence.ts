import { labelOf, type LabelClock, type LabelView } from '../monitoring/label-rule.js';
import type { StageEvidence } from './gates.js';
import type { ServingState } from './serving-state.js';

export type { LabelView } from '../monitoring/label-rule.js';

/** What the lifecycle needs of one published score (decoded from the output topic). */
export interface ScoreView {
  readonly transactionId: string;
  readonly customerId: string | null;
  readonly scoredAtMs: number;
  readonly eventTimeMs: number;
  readonly score: number;
  readonly decision: string;
  /** `name@version` of the model that decided. */
  readonly model: string;
  readonly route: string;
  readonly stage: number;
  readonly percent: number;
  readonly controlVersion: number;
  readonly reasonCodes: readonly string[];
  readonly shadowScores: Readonly<Record<string, number>>;
  readonly batchId: string;
  readonly modelLatencyMs: Readonly<Record<string, number>>;
  /**
   * Read after its day was final against the stream time of the scores read before it (ScoreStreams): as the evaluator
   * leaves such a late prediction out, no label is read for it. Its reports may have been let go by then.
   */
  readonly late?: boolean;
}

/**
 * A score's label as far as it is known (labelOf); null for a late score. With `earliest` (the earliest use of each
 * transaction id: ScoreStreams.firstUses, or earliestUses of the scores read together), a later use of an id reads none
 * of the id's reports: they belong to its earliest use, as the evaluator joins them (evaluation.ts) and as the training
 * table gives an id's labels to its first recording only.
 */
export function labelOfScore(
  view: ScoreView,
  labels: ReadonlyMap<string, LabelView>,
  clock: LabelClock,
  earliest?: ReadonlyMap<string, number>,
): boolean | null {
  if (view.late) return null;
  const laterUse = (earliest?.get(view.transactionId) ?? view.eventTimeMs) < view.eventTimeMs;
  return labelOf(laterUse ? undefined : labels.get(view.transactionId), view.eventTimeMs, clock);
}

/**
 * The earliest event time of each transaction id among `scores`. An id scored twice is used again beyond the
 * duplicate horizon (a duplicate within it is dead-lettered, never scored): a new transaction, which labelOfScore
 * gives none of the id's reports.
 */
export function earliestUses(scores: readonly ScoreView[]): ReadonlyMap<string, number> {
  const earliest = new Map<string, number>();
  for (const view of scores) {
    // Left out as the evaluator leaves a late prediction out.
    if (view.late) continue;
    const known = earliest.get(view.transactionId);
    if (known === undefined || view.eventTimeMs < known) earliest.set(view.transactionId, view.eventTimeMs);
  }
  return earliest;
}

/** Which scores a reader of the output topic still needs: what ScoreStreams keeps. */
export interface ScoreRetention {
  /** Scores scored before this are let go, and not kept when read later. */
  readonly scoredFromMs: number;
  /** Only scores made in a rollout stage (`rollout_stage` ≥ 0): the gates read no other. */
  readonly rolloutOnly: boolean;
}

/**
 * How long before the controller sees a stage start (in its own clock) that stage may have started: the control
 * follower's lag (well under a second while the broker is up, longer across a broker restart) plus the skew between
 * the operator's clock, which stamps the start, and the controller's. An hour covers both generously, and costs little:
 * while no stage is live only scores made in some stage are kept, and those are few then.
 */
export const STAGE_SIGHTING_MARGIN_MS = 3_600_000;

/**
 * The scores the rollout controller's gates can still need (stageEvidence): those of the live stage, scored since it
 * started, or those of a later stage, which starts later. With no stage live (none, or paused: a resumed stage starts
 * anew), a stage may have started that the controller does not see yet; it keeps the scores of the last
 * STAGE_SIGHTING_MARGIN_MS for it. The kill switch does not end the stage; `kill-switch off` starts it over, later
 * than its start kept here, so what the restarted stage needs is kept too.
 */
export function gateRetention(state: ServingState, nowMs: number): ScoreRetention {
  const rollout = state.challenger;
  const live = rollout !== null && rollout.mode === 'rollout' && !rollout.paused;
  return { scoredFromMs: live ? rollout.stageStartedAtMs : nowMs - STAGE_SIGHTING_MARGIN_MS, rolloutOnly: true };
}

const asRecord = (value: unknown): Record<string, number> =>
  value && typeof value === 'object' ? (value as Record<string, number>) : {};

/** A decoded output value as a ScoreView; null when it is not a score. */
export function scoreViewOf(value: Record<string, unknown>, key: string | null = null): ScoreView | null {
  if (typeof value['transaction_id'] !== 'string' || typeof value['score'] !== 'number') return null;
  return {
    transactionId: value['transaction_id'],
    customerId: key,
    scoredAtMs: Number(value['scored_at']),
    eventTimeMs: Number(value['event_time']),
    score: value['score'],
    decision: String(value['decision']),
    model: `${String(value['model_name'])}@${String(value['model_version'])}`,
    route: String(value['route'] ?? 'champion'),
    stage: Number(value['rollout_stage'] ?? -1),
    percent: Number(value['rollout_percent'] ?? 0),
    controlVersion: Number(value['control_version'] ?? 0),
    reasonCodes: Array.isArray(value['reason_codes']) ? (value['reason_codes'] as string[]) : [],
    shadowScores: asRecord(value['shadow_scores']),
    batchId: String(value['batch_id']),
    modelLatencyMs: asRecord(value['model_latency_ms']),
  };
}

/**
 * Both models' scores of one record (null: that model failed on it), when both were asked. A record scored beside
 * another champion is no evidence about this one: the registry's champion moved during the stage (`models promote`
 * while the topology follows it), and the challenger is compared with the new champion from then on.
 */
export function pairOf(view: ScoreView, champion: string, challenger: string): [number | null, number | null] | null {
  if (view.route === 'kill_switch') return null;
  if (view.model === challenger) {
    // The champion's score rides in shadow_scores, and its batch run time says it scored the batch: a record that
    // carries neither was scored beside another champion, not failed by this one.
    const championScore = view.shadowScores[champion];
    if (championScore === undefined && view.modelLatencyMs[champion] === undefined) return null;
    return [championScore ?? null, view.score];
  }
  if (view.model !== champion) return null;
  // Scored before the challenger was live (or with another one): not evidence about this challenger.
  const asked =
    view.shadowScores[challenger] !== undefined ||
    view.reasonCodes.some((code) => code.startsWith('CHALLENGER_FAILED'));
  if (!asked) return null;
  const championFailed = view.reasonCodes.some((code) => code.startsWith('MODEL_OUTPUT_'));
  return [championFailed ? null : view.score, view.shadowScores[challenger] ?? null];
}

/**
 * The evidence for one rollout stage: the records scored in it (its stage index, since it started) by this champion
 * and challenger, both scores of each, the challenger's batch latencies, and the labels matured so far, read as the
 * delayed-label evaluator reads them (labelOf): fraud reported within the horizon, or genuine once confirmed or once
 * the record's day is final. `nowMs` ends the stage's elapsed time and bounds the stream time (LabelClock).
 */
export function stageEvidence(
  scores: readonly ScoreView[],
  labels: ReadonlyMap<string, LabelView>,
  stage: LabelClock & {
    readonly champion: string;
    readonly challenger: string;
    readonly stageIndex: number;
    readonly startedAtMs: number;
  },
  firstUses?: ReadonlyMap<string, number>,
): StageEvidence {
  const champion: (number | null)[] = [];
  const challenger: (number | null)[] = [];
  const labelled: { index: number; fraud: boolean }[] = [];
  const batches = new Map<string, number>();
  const staged = scores.filter((view) => view.stage === stage.stageIndex && view.scoredAtMs >= stage.startedAtMs);
  // The earliest uses of every score read (ScoreStreams.firstUses), else of the stage's own scores: those every
  // reader keeps however little it keeps (gateRetention).
  const earliest = firstUses ?? earliestUses(staged);
  for (const view of staged) {
    const pair = pairOf(view, stage.champion, stage.challenger);
    if (!pair) continue;
    const latency = view.modelLatencyMs[stage.challenger];
    if (latency !== undefined) batches.set(view.batchId, latency);
    const fraud = labelOfScore(view, labels, stage, earliest);
    if (fraud !== null) labelled.push({ index: champion.length, fraud });
    champion.push(pair[0]);
    challenger.push(pair[1]);
  }
  return {
    champion,
    challenger,
    challengerBatchMs: [...batches.values()],
    labelled,
    elapsedMs: Math.max(0, stage.nowMs - stage.startedAtMs),
  };
}
