import { isDeepStrictEqual } from 'node:util';
import type { BatchWindowPolicy } from '../batch/batch-window.js';
import { CONTROL_FORMAT, INITIAL_SERVING_STATE, type ControlRecord, type ServingState } from './serving-state.js';
import type { Transition } from './transitions.js';

/** What a reader of the control topic knows: the latest applicable record (version 0: none, the topology decides). */
export interface ControlView {
  readonly version: number;
  readonly state: ServingState;
  readonly record: ControlRecord | null;
}

export const EMPTY_VIEW: ControlView = Object.freeze({ version: 0, state: INITIAL_SERVING_STATE, record: null });

/**
 * Folds one record into the view. Only a record of this topology with a higher version counts: a stale or
 * replayed record (compaction keeps the latest, but a reader may see older ones first) changes nothing.
 */
export function foldControl(view: ControlView, record: ControlRecord, topology: string): ControlView {
  if (record.topology !== topology || record.version <= view.version) return view;
  return viewOf(record);
}

/** One entry of the control log as read, in log order. */
export interface ControlLogItem {
  /** Null: not a valid control record, which every reader ignores. */
  readonly record: ControlRecord | null;
  /** Marked as a re-appended copy of the record readers applied for its version (see `compaction.ts`). */
  readonly copy: boolean;
}

/**
 * Folds one entry of the log. A copy of the version the reader holds replaces it: on the whole log a copy always
 * equals what the reader holds (nothing changes), but after compaction the reader may have been handed a losing
 * record of that version, kept because it closed a segment, and the copy after it restores the one that won.
 */
export function foldControlEntry(view: ControlView, entry: ControlLogItem, topology: string): ControlView {
  const { record } = entry;
  if (record === null) return view;
  if (
    entry.copy &&
    record.topology === topology &&
    record.version === view.version &&
    !isDeepStrictEqual(record, view.record)
  ) {
    return viewOf(record);
  }
  return foldControl(view, record, topology);
}

function viewOf(record: ControlRecord): ControlView {
  return { version: record.version, state: record.state, record };
}

/** The record that makes a transition durable: the whole next state, the change, who, why, the next version. */
export function nextRecord(
  view: ControlView,
  topology: string,
  transition: Extract<Transition, { ok: true }>,
  meta: {
    readonly actor: string;
    readonly reason: string;
    readonly nowMs: number;
    /** The log id to start with when the view's record names none (the log is new, or older than the field). */
    readonly newLog?: string;
  },
): ControlRecord {
  const log = view.record?.log ?? meta.newLog;
  return {
    format: CONTROL_FORMAT,
    topology,
    version: view.version + 1,
    atMs: meta.nowMs,
    actor: meta.actor,
    reason: meta.reason,
    change: transition.change,
    state: transition.state,
    ...(log === undefined ? {} : { log }),
  };
}

export type Route = 'champion' | 'challenger' | 'kill_switch';

/** What one batch is scored with: derived from the view, applied whole at a batch boundary. */
export interface ServingPlan {
  readonly version: number;
  /** The model that decides for every record not routed to the challenger (the kill-switch target while killed). */
  readonly decider: string;
  readonly killed: boolean;
  /** Null while killed or when no challenger is live. */
  readonly challenger: {
    readonly model: string;
    readonly mode: 'shadow' | 'rollout';
    readonly percent: number;
    readonly salt: string;
    /** Index of the rollout stage, -1 in shadow. */
    readonly stage: number;
  } | null;
  readonly window: BatchWindowPolicy;
}

export function servingPlan(
  view: ControlView,
  defaults: { readonly champion: string; readonly window: BatchWindowPolicy },
): ServingPlan {
  const { state } = view;
  const champion = state.champion ?? defaults.champion;
  const killed = state.killSwitch.on;
  const challenger =
    !killed && state.challenger
      ? {
          model: state.challenger.model,
          mode: state.challenger.mode,
          percent: state.challenger.mode === 'rollout' ? state.challenger.percent : 0,
          salt: state.challenger.salt,
          stage: state.challenger.stageIndex,
        }
      : null;
  return {
    version: view.version,
    decider: killed ? (state.killSwitch.target ?? champion) : champion,
    killed,
    challenger,
    window: {
      maxRecords: state.batch.maxRecords ?? defaults.window.maxRecords,
      maxWaitMs: state.batch.maxWaitMs ?? defaults.window.maxWaitMs,
      ...minRecordsOf(state.batch.minRecords ?? defaults.window.minRecords),
    },
  };
}

/** Every model a plan scores with. */
export function planModels(plan: ServingPlan): string[] {
  return [...new Set([plan.decider, ...(plan.challenger ? [plan.challenger.model] : [])])];
}

/**
 * Every model a plan lets decide a record: the decider, and a rollout's challenger while it is routed customers. A
 * shadow challenger (percent 0) scores every record but decides none: its score rides in `shadow_scores`.
 */
export function decidingModels(plan: ServingPlan): string[] {
  const { challenger } = plan;
  return [...new Set([plan.decider, ...(challenger && challenger.percent > 0 ? [challenger.model] : [])])];
}

/** The live close threshold, when the control topic or the topology sets one (absent: size and time only). */
function minRecordsOf(minRecords: number | undefined): { minRecords?: number } {
  return minRecords === undefined ? {} : { minRecords };
}
