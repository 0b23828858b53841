import { INITIAL_SERVING_STATE, type BatchWindowOverride } from './serving-state.js';
import { setBatchWindow } from './transitions.js';

export type SettingsParse =
  { readonly ok: true; readonly window: BatchWindowOverride } | { readonly ok: false; readonly problem: string };

/** The settable keys and the override field each one sets. */
const FIELD = {
  'batch.maxRecords': 'maxRecords',
  'batch.maxWaitMs': 'maxWaitMs',
  'batch.minRecords': 'minRecords',
} as const;
type Key = keyof typeof FIELD;
const KNOWN = Object.keys(FIELD) as Key[];

/**
 * Parses `fraudscore control set` arguments (`batch.maxRecords=500 batch.maxWaitMs=5000`, `batch.maxWaitMs=default`
 * to fall back to the topology file) onto the current override. Limits are checked by the transition (the same
 * schema as the topology's).
 */
export function parseSettings(args: readonly string[], current: BatchWindowOverride): SettingsParse {
  if (args.length === 0)
    return { ok: false, problem: `nothing to set; give ${KNOWN.map((k) => `${k}=<n>`).join(' ')}` };
  const window: { -readonly [K in keyof BatchWindowOverride]: BatchWindowOverride[K] } = { ...current };
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    const text = eq > 0 ? arg.slice(eq + 1) : '';
    if (!(KNOWN as string[]).includes(key)) {
      return { ok: false, problem: `unknown setting "${key}"; settable: ${KNOWN.join(', ')}` };
    }
    let value: number | null;
    if (text === 'default') value = null;
    else if (/^\d+$/.test(text)) value = Number(text);
    else return { ok: false, problem: `${key}: "${text}" is not a whole number (or "default")` };
    window[FIELD[key as Key]] = value;
  }
  return { ok: true, window };
}

/**
 * What can be told of `control set` arguments without the control topic: an unknown key (naming the settable ones), a
 * value that is no whole number, a number outside the batch window's limits. Each value's limits do not depend on the
 * current state, so a typo is refused before anything connects; null when the arguments pass (the change is checked
 * again against the current state when it is written).
 */
export function settingsProblem(args: readonly string[]): string | null {
  const parsed = parseSettings(args, INITIAL_SERVING_STATE.batch);
  if (!parsed.ok) return parsed.problem;
  // The transition's own check, so the limits and their wording stay those of the change itself.
  const checked = setBatchWindow(INITIAL_SERVING_STATE, parsed.window);
  return checked.ok ? null : checked.problem;
}

/** Parses a duration such as `30m`, `90s`, `2h`, `1500ms` (a bare number is milliseconds); null when invalid. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms'] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

/** Parses a rollout plan such as `1,5,25,50,100`; null when a stage is not a number. */
export function parsePlan(text: string): number[] | null {
  const plan = text.split(',').map((part) => Number(part.trim()));
  return plan.every((p) => Number.isFinite(p)) && plan.length > 0 ? plan : null;
}

/**
 * Why the batch window a change leaves in force (its values, the topology file's where it sets none) cannot be served,
 * or null: at most maxRecords records close a batch, so a minRecords above it, which the topology file's own check
 * refuses, would be a floor no batch reaches.
 */
export function windowProblem(
  window: BatchWindowOverride,
  topologyWindow: { readonly maxRecords: number; readonly minRecords: number },
): string | null {
  const max = window.maxRecords ?? topologyWindow.maxRecords;
  const min = window.minRecords ?? topologyWindow.minRecords;
  if (min <= max) return null;
  const from = (own: number | null) => (own === null ? ", the topology file's" : '');
  return (
    `batch.minRecords (${min}${from(window.minRecords)}) must be at most batch.maxRecords (${max}` +
    `${from(window.maxRecords)}): set it to maxRecords to close batches only by size or time`
  );
}
