import { createHash } from 'node:crypto';
import { canonicalJson } from '../features/definitions.js';

/**
 * The longest value a diff shows as itself. Next to a field name and the other version's value, this is about what
 * fits one terminal line; a card's score sample (thousands of numbers) or a selection leaderboard is far past it.
 */
export const LONGEST_SHOWN_VALUE = 60;

/** The fingerprint's leading hex digits shown to a reader: enough to tell two values apart at a glance. */
const SHOWN_SHA256_DIGITS = 12;

/** A value too long to read in a row, described instead: what it is, how big, and a fingerprint to tell two apart. */
export interface ValueSummary {
  readonly kind: 'array' | 'object';
  /** Items of an array, fields of an object. */
  readonly size: number;
  /** What an array's items are; absent for an object. */
  readonly items?: 'numbers' | 'strings' | 'booleans' | 'objects' | 'values';
  /** SHA-256 of the value's JSON with sorted keys: equal values have equal hashes, whatever their key order. */
  readonly sha256: string;
}

function itemKind(items: readonly unknown[]): NonNullable<ValueSummary['items']> {
  const kinds = new Set(items.map((item) => (item === null ? 'null' : typeof item)));
  if (kinds.size !== 1) return 'values';
  const [kind] = kinds;
  if (kind === 'number') return 'numbers';
  if (kind === 'string') return 'strings';
  if (kind === 'boolean') return 'booleans';
  return kind === 'object' ? 'objects' : 'values';
}

/** Describes an array or object by its size, item kind and content hash. */
export function summariseValue(value: object): ValueSummary {
  const sha256 = createHash('sha256').update(canonicalJson(value)).digest('hex');
  if (Array.isArray(value)) return { kind: 'array', size: value.length, items: itemKind(value), sha256 };
  return { kind: 'object', size: Object.keys(value).length, sha256 };
}

/** One phrase for a table cell, e.g. "array of 5000 numbers, sha256 ab12cd34ef56". */
export function describeSummary(summary: ValueSummary): string {
  const sha = `sha256 ${summary.sha256.slice(0, SHOWN_SHA256_DIGITS)}`;
  if (summary.kind === 'object') return `object with ${summary.size} field${summary.size === 1 ? '' : 's'}, ${sha}`;
  const items = summary.size === 1 ? (summary.items ?? 'values').replace(/s$/, '') : summary.items;
  return `array of ${summary.size} ${items}, ${sha}`;
}

/** The two summaries describe the same content. */
export function sameSummary(a: ValueSummary, b: ValueSummary): boolean {
  return a.kind === b.kind && a.sha256 === b.sha256;
}
