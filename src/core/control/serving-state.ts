import { z } from 'zod';
import { modelRefSchema } from '../models/card.js';
import { rolloutGateBoundsSchema } from './gate-bounds.js';

/**
 * What every worker of a topology serves, as one value: the source of truth lives on the compacted control topic
 * `<topology>.control` (one key per topology), so each record carries the WHOLE state (compaction keeps only the
 * latest record of a key) plus the change that produced it (the audit trail while the log still holds it).
 *
 * Workers fold records in version order and apply the resulting state at a batch boundary, never mid-batch.
 */
export const CONTROL_FORMAT = 1;

/** The stages a staged rollout walks through by default, in percent of customers routed to the challenger. */
export const DEFAULT_ROLLOUT_PLAN: readonly number[] = [1, 5, 25, 50, 100];

const percent = z.number().min(0).max(100);

export const challengerStateSchema = z
  .object({
    /** `name@version` of the challenger, resolved to a concrete version (never `champion`). */
    model: modelRefSchema,
    /**
     * shadow: scored on every record, never decides (its score rides in `shadow_scores`);
     * rollout: decides for the customers routed to it (the stage's percent), shadow for the rest.
     */
    mode: z.enum(['shadow', 'rollout']),
    /** Share of customers routed to the challenger now (0 in shadow mode). */
    percent,
    plan: z.array(percent.positive()).min(1),
    /** Index into `plan` of the current stage; -1 in shadow mode. */
    stageIndex: z.number().int().min(-1),
    /** Minimum duration of a stage before its gates are judged. */
    stepMs: z.number().int().min(0),
    /** Salt of the routing hash: fixed for one rollout, so a customer sees one model during a stage. */
    salt: z.string().min(1),
    paused: z.boolean(),
    /** When the current stage (or shadow) started, ms since the epoch. */
    stageStartedAtMs: z.number().int().min(0),
    /**
     * Gate bounds this rollout set for itself (`rollout start --max-score-psi` …), each judged in place of the
     * topology's; they go with the challenger, so a rollout that ends (promoted, aborted, rolled back) takes them along
     * and the next one starts from the topology's. Absent when the rollout set none, and in records older than the
     * field, which read as before; a reader older than the field drops it and judges by the topology's bounds.
     */
    gates: rolloutGateBoundsSchema.optional(),
  })
  // Routing trusts `percent`, the gates and the CLI trust `stageIndex`: a rollout whose two disagree was not written by
  // a transition (each sets both from the plan), and no reader can tell which one to believe.
  .superRefine((challenger, context) => {
    if (challenger.mode !== 'rollout') return;
    const { plan, stageIndex, percent } = challenger;
    if (stageIndex < 0 || stageIndex >= plan.length) {
      context.addIssue({
        code: 'custom',
        path: ['stageIndex'],
        message: `${stageIndex} is not a stage of the rollout's plan (${plan.join(',')}): 0 to ${plan.length - 1}`,
      });
    } else if (percent !== plan[stageIndex]) {
      context.addIssue({
        code: 'custom',
        path: ['percent'],
        message: `${percent} is not stage ${stageIndex} of the rollout's plan (${plan.join(',')}), which is ${plan[stageIndex]}`,
      });
    }
  });

export const killSwitchStateSchema = z.object({
  on: z.boolean(),
  reason: z.string(),
  /** The model every worker serves while the switch is on (the champion card's rollback target). */
  target: modelRefSchema.nullable(),
  sinceMs: z.number().int().min(0).nullable(),
});

/** The shortest batch window a topology file or a live change may set: below it a window is a busy loop. */
export const MIN_BATCH_WAIT_MS = 10;

/**
 * Hot-tunable batch window; null fields fall back to the topology file. A change is written within the topology
 * file's limits (setBatchWindow); a record is read with these, which take maxWaitMs from 1 ms, so that one an earlier
 * release wrote below the floor still reads.
 */
export const batchWindowOverrideSchema = z.object({
  maxRecords: z.number().int().min(100).max(1000).nullable(),
  maxWaitMs: z.number().int().min(1).max(30_000).nullable(),
  /** Records older than this field lack it: absent reads as null. */
  minRecords: z.number().int().min(1).max(1000).nullable().default(null),
});

export const servingStateSchema = z.object({
  /** The champion; null means the topology file's `model`. */
  champion: modelRefSchema.nullable(),
  challenger: challengerStateSchema.nullable(),
  killSwitch: killSwitchStateSchema,
  batch: batchWindowOverrideSchema,
});

/** What one control record changed, for people and the audit trail. */
export const controlChangeSchema = z.object({
  kind: z.enum([
    'init',
    'set-champion',
    'shadow-start',
    'shadow-stop',
    'rollout-start',
    'rollout-advance',
    'rollout-pause',
    'rollout-resume',
    'rollout-promote',
    'rollout-abort',
    'rollout-rollback',
    'kill-switch-on',
    'kill-switch-off',
    'batch-window',
  ]),
  /** Free-form figures behind the change, e.g. the failing gate and its values on an automatic rollback. */
  details: z.record(z.string(), z.unknown()).default({}),
});

/**
 * The highest version a control record may carry: one change a second would take 68 years to reach it. A record
 * above it (2^53 - 1, say) was not written by fraudscore, and applying it would leave every later change a version no
 * reader can represent, the kill switch included; readers ignore it as unreadable instead.
 */
export const MAX_CONTROL_VERSION = 2 ** 31 - 1;

export const controlRecordSchema = z.object({
  format: z.literal(CONTROL_FORMAT),
  topology: z.string().min(1),
  /** Strictly increasing per topology: a worker applies a record only if its version is higher than its own. */
  version: z
    .number()
    .int()
    .min(1)
    .max(
      MAX_CONTROL_VERSION,
      `at most ${MAX_CONTROL_VERSION} (2^31 - 1); a higher version was not written by fraudscore`,
    ),
  atMs: z.number().int().min(0),
  actor: z.string().min(1, 'who made the change (a person or the rollout controller)'),
  reason: z.string().min(1, 'why the change was made'),
  change: controlChangeSchema,
  state: servingStateSchema,
  /**
   * Which log the record was written to: drawn at random by the first record of a log, copied by every later one.
   * A topic deleted and created again is a new log whose versions start again at 1; a reader that meets a record
   * of a higher version from another log knows what happened (log-continuity.ts). Records written before this field
   * lack it.
   */
  log: z.string().min(1).max(64).optional(),
});

export type ChallengerState = z.infer<typeof challengerStateSchema>;
export type KillSwitchState = z.infer<typeof killSwitchStateSchema>;
export type BatchWindowOverride = z.infer<typeof batchWindowOverrideSchema>;
export type ServingState = z.infer<typeof servingStateSchema>;
export type ControlChange = z.infer<typeof controlChangeSchema>;
export type ControlRecord = z.infer<typeof controlRecordSchema>;

/** The state before any control record: the topology file decides everything. */
export const INITIAL_SERVING_STATE: ServingState = Object.freeze({
  champion: null,
  challenger: null,
  killSwitch: { on: false, reason: '', target: null, sinceMs: null },
  batch: { maxRecords: null, maxWaitMs: null, minRecords: null },
});

export type ControlParse =
  { readonly ok: true; readonly record: ControlRecord } | { readonly ok: false; readonly problem: string };

/** Parses a control record's JSON text; problems name the field. */
export function parseControlRecord(text: string): ControlParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${(error as Error).message})` };
  }
  const result = controlRecordSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, problem: `${issue?.path.map(String).join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, record: result.data };
}
