import type { BatchWindowOverride } from './serving-state.js';

export type SettingsParse =
  { readonly ok: true; readonly window: BatchWindowOverride } | { readonly ok: false; readonly problem: string };

const KNOWN = ['batch.maxRecords', 'batch.maxWaitMs'] as const;

/**
 * Parses `fraudscore control set` arguments (`batch.maxRecords=500 batch.maxWaitMs=5000`, `batch.maxWaitMs=default`
 * to fall back to the topology file) onto the current override. Limits are checked by the transition (the same
 * schema as the topology's).
 */
export function parseSettings(args: readonly string[], current: BatchWindowOverride): SettingsParse {
  if (args.length === 0)
    return { ok: false, problem: `nothing to set; give ${KNOWN.map((k) => `${k}=<n>`).join(' ')}` };
  const window: { maxRecords: number | null; maxWaitMs: number | null } = { ...current };
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    const text = eq > 0 ? arg.slice(eq + 1) : '';
    if (!(KNOWN as readonly string[]).includes(key)) {
      return { ok: false, problem: `unknown setting "${key}"; settable: ${KNOWN.join(', ')}` };
    }
    let value: number | null;
    if (text === 'default') value = null;
    else if (/^\d+$/.test(text)) value = Number(text);
    else return { ok: false, problem: `${key}: "${text}" is not a whole number (or "default")` };
    if (key === 'batch.maxRecords') window.maxRecords = value;
    else window.maxWaitMs = value;
  }
  return { ok: true, window };
}
