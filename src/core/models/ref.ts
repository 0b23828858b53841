import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from './card.js';

/** A version, or "champion" for the version the registry currently marks as champion. */
export type VersionSelector = string;
export const CHAMPION = 'champion';

export interface ModelRef {
  readonly name: string;
  readonly version: VersionSelector;
}

export type RefParse = { readonly ok: true; readonly ref: ModelRef } | { readonly ok: false; readonly problem: string };

/** Parses `name@version` (or `name@champion`). */
export function parseModelRef(text: string): RefParse {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) {
    return { ok: false, problem: `"${text}" is not name@version (e.g. card-fraud@3 or card-fraud@champion)` };
  }
  const name = text.slice(0, at);
  const version = text.slice(at + 1);
  if (!MODEL_NAME_PATTERN.test(name)) {
    return { ok: false, problem: `"${name}" is not a model name: lower-case letters, digits, ".", "_" or "-"` };
  }
  if (!MODEL_VERSION_PATTERN.test(version)) {
    return { ok: false, problem: `"${version}" is not a model version: letters, digits, ".", "_" or "-"` };
  }
  return { ok: true, ref: { name, version } };
}

export function formatModelRef(ref: ModelRef): string {
  return `${ref.name}@${ref.version}`;
}
