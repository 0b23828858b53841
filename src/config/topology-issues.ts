import type { z } from 'zod';
import { describeTypeIssue, issuePath, kindOf, valueAt, YAML_WORDS, type TypeIssue } from '../core/validation/index.js';
import { placeholdersIn } from './interpolate.js';
import { SECRET_REF_EXPECTED } from './topology-schema.js';

/** What a topology is, for a file that is empty or holds something else (a list, a lone string). */
export const TOPOLOGY_SHAPE =
  'a topology is a YAML mapping of its sections (name:, kafka:, topics:, ...); ' +
  'see topologies/card-payments.yaml or `fraudscore topology schema`';

/**
 * One line per issue: the field, what is wrong and the fix. `written` is the file as parsed, `interpolated` the same
 * after ${VAR} substitution (what the schema saw). Values are never repeated: a wrongly typed one may be a secret.
 */
export function describeIssue(issue: z.core.$ZodIssue, written: unknown, interpolated: unknown): string {
  const path = issuePath(issue);
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown field(s) ${issue.keys.join(', ')}; remove them or check the spelling (see \`fraudscore topology schema\`)`;
  }
  const type = describeTypeIssue(issue, interpolated);
  if (type?.missing) return `${path}: required field is missing; add it (expected ${type.expected})`;
  if (type) {
    const at = valueAt(written, issue.path);
    const placeholders = at.present && typeof at.value === 'string' ? placeholdersIn(at.value) : [];
    const from = placeholders.length > 0 ? ` (from ${placeholders.map((p) => `\${${p.variable}}`).join(' and ')})` : '';
    const fix = wrongTypeFix(type, placeholders);
    return `${path}: expected ${type.expected}, found ${kindOf(type.found, YAML_WORDS)}${from}${fix ? `; ${fix}` : ''}`;
  }
  return `${path}: ${rangeMessage(issue) ?? issue.message}`;
}

/**
 * A bound the schema states with its plain .min()/.max() (the library's own words, "Too small: expected number to
 * be >=1", name no fix): what the field must be, and what to do. Bounds given a message of their own keep it.
 */
function rangeMessage(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'too_small' && issue.code !== 'too_big') return undefined;
  if (!/^Too (small|big):/.test(issue.message)) return undefined;
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'number':
    case 'int':
      return small
        ? `must be ${inclusive ? 'at least' : 'more than'} ${bound}; raise it`
        : `must be ${inclusive ? 'at most' : 'less than'} ${bound}; lower it`;
    case 'string':
      if (small && bound === 1) return 'must not be empty; give it a value';
      return small
        ? `must be at least ${bound} characters long`
        : `must be at most ${bound} characters long; shorten it`;
    case 'array':
    case 'set':
      return small
        ? `needs at least ${bound} ${bound === 1 ? 'entry' : 'entries'}; add ${bound === 1 ? 'one' : 'more'}`
        : `takes at most ${bound} ${bound === 1 ? 'entry' : 'entries'}; remove the rest`;
    default:
      return undefined;
  }
}

/** The fix for a value of the wrong type, where "expected ..., found ..." alone does not make it plain. */
function wrongTypeFix(
  type: Extract<TypeIssue, { missing: false }>,
  placeholders: readonly { variable: string; hasDefault: boolean }[],
): string | undefined {
  const { expected, found } = type;
  if (expected === SECRET_REF_EXPECTED) {
    return 'name the environment variable or the file that holds the secret, never the secret itself';
  }
  const wantsNumber = type.expectedType === 'number' || type.expectedType === 'int';
  if (placeholders.length > 0 && typeof found === 'string') {
    const names = placeholders.map((p) => p.variable).join(' and ');
    // A field that converts text (metrics.port) got a converted value of the wrong kind: the variable is wrong.
    if (typeof type.received === 'number') {
      const unset = placeholders.every((p) => p.hasDefault) ? ' (or unset it for the default)' : '';
      return `set ${names} to ${expected}${unset}`;
    }
    // interpolate.ts substitutes inside strings only: whatever the variable holds, the field receives a string.
    const fix =
      type.expectedType === 'array'
        ? `write it inside a list, e.g. [${placeholders.map((p) => `'\${${p.variable}}'`).join(', ')}]`
        : `write ${wantsNumber ? 'the number' : 'the value'} itself`;
    return `a \${...} placeholder always gives a string, and this field does not convert it: ${fix}`;
  }
  if (found === null) return type.expectedType === 'object' ? 'write its fields indented below it' : 'give it a value';
  if (type.expectedType === 'array') return 'write a list, e.g. [first, second], or one "- " line per entry';
  if (type.expectedType === 'string' && (typeof found === 'number' || typeof found === 'boolean'))
    return 'put it in quotes';
  if (wantsNumber && typeof found === 'string' && Number.isFinite(Number(found)) && found.trim() !== '') {
    return 'remove the quotes';
  }
  if (wantsNumber && typeof found === 'string' && found.trim() === '') return 'write a number';
  return undefined;
}
