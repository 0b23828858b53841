import type { z } from 'zod';

/**
 * Type mistakes in a parsed document (a topology, a model card), told apart and put in words. zod 4 keeps an issue's
 * input only when asked (`reportInput`), and a missing key and a wrong type are both `invalid_type`: without looking
 * at the document, `maxRecords: "lots"` reads as a missing field.
 */

/** How a document format names its containers: YAML speaks of lists and mappings, JSON of arrays and objects. */
export interface ContainerWords {
  readonly list: string;
  readonly mapping: string;
}
export const YAML_WORDS: ContainerWords = { list: 'a list', mapping: 'a mapping' };
export const JSON_WORDS: ContainerWords = { list: 'an array', mapping: 'an object' };

/**
 * Parse options under which every `invalid_type` issue's message says what the field expects, in words ("a whole
 * number", "a list"). A schema's own message wins (a secret reference says `{ env: NAME } or { file: path }`), which is
 * why `describeTypeIssue` takes the expected thing from the message rather than from `issue.expected`.
 */
export function typeIssueParams(words: ContainerWords): z.core.ParseContext<z.core.$ZodIssue> {
  return {
    reportInput: true,
    error: (issue) => (issue.code === 'invalid_type' ? expectedWords(issue.expected, words) : undefined),
  };
}

export function expectedWords(expected: string, words: ContainerWords): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return words.list;
    case 'object':
    case 'record':
      return words.mapping;
    default:
      return expected;
  }
}

/**
 * What a value is, in words, never the value itself: a wrongly typed value may be a secret written where its reference
 * belongs (`password: S3cretPw`).
 */
export function kindOf(value: unknown, words: ContainerWords): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return words.list;
  switch (typeof value) {
    case 'string':
      if (value.trim() === '') return 'an empty string';
      return Number.isFinite(Number(value)) ? 'a string holding a number' : 'a string';
    case 'number':
      if (!Number.isFinite(value)) return 'a number that is not finite';
      return Number.isInteger(value) ? 'a whole number' : 'a number with a fraction';
    case 'boolean':
      return String(value);
    case 'object':
      return value instanceof Date ? 'a date' : words.mapping;
    default:
      return typeof value;
  }
}

export type Lookup = { readonly present: true; readonly value: unknown } | { readonly present: false };

/** The value at `path` in a parsed document; absent when a key along the way is not there. */
export function valueAt(document: unknown, path: readonly PropertyKey[]): Lookup {
  let node = document;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return { present: false };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node === undefined ? { present: false } : { present: true, value: node };
}

/** An `invalid_type` issue read against the document: a missing field, or a field holding the wrong type. */
export type TypeIssue =
  | { readonly missing: true; readonly expected: string; readonly expectedType: string }
  | {
      readonly missing: false;
      /** What the field takes, in words (the issue's message, see typeIssueParams). */
      readonly expected: string;
      /** zod's name for it: number, int, string, array, object, ... */
      readonly expectedType: string;
      /** What the document holds there (before any coercion of the schema). */
      readonly found: unknown;
      /** What the schema saw: differs from `found` where the schema converts (z.coerce: "abc" becomes NaN). */
      readonly received: unknown;
    };

/**
 * Reads an issue of a parse made with `typeIssueParams` against `document`, the value given to the schema. The
 * document decides whether the key exists; the issue's input covers values a schema made itself (z.preprocess).
 */
export function describeTypeIssue(issue: z.core.$ZodIssue, document: unknown): TypeIssue | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const expected = { expected: issue.message, expectedType: issue.expected };
  const at = valueAt(document, issue.path);
  if (at.present) return { missing: false, ...expected, found: at.value, received: issue.input };
  // A converting field (z.coerce.number(): metrics.port) turns an absent value into NaN before it is checked.
  if (issue.input === undefined || Number.isNaN(issue.input)) return { missing: true, ...expected };
  return { missing: false, ...expected, found: issue.input, received: issue.input };
}

/** The issue's field path as the messages print it: `kafka.brokers.0`, or `(root)` for the document itself. */
export function issuePath(issue: { readonly path: readonly PropertyKey[] }): string {
  return issue.path.map(String).join('.') || '(root)';
}
