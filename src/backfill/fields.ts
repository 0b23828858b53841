import type { DeadLetterReason } from '../core/contract/reasons.js';
import { BackfillInputError } from './errors.js';
import { parseIsoTime } from './iso-time.js';

/**
 * Backfill input fields, converted to the types the Avro contract carries (schemas/transaction.avsc, label.avsc):
 * epoch milliseconds, amounts in major units, booleans. Values come typed from JSON Lines (numbers, booleans) or as
 * text from CSV; both are accepted where unambiguous. Only the conversion is here: whether a value is acceptable is
 * the contract's own validation to say (core/contract, record-parsers.ts), the one the workers apply.
 */

/** Where a record sits; one mutable instance per reader, so validating allocates nothing. */
export interface Where {
  file: string;
  line: number;
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

export function fail(where: Where, field: string, problem: string): never {
  throw new BackfillInputError(where.file, where.line, field, problem);
}

/** A record the contract refuses: the pipeline would dead-letter it with `reason`. */
export function failContract(where: Where, field: string, reason: DeadLetterReason, detail: string): never {
  return fail(where, field, `violates the contract (${reason}, as the pipeline dead-letters it): ${detail}`);
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A column the record must have; its value goes to the contract's validation as it is. */
export function requirePresent(value: unknown, where: Where, field: string): unknown {
  return value === undefined ? fail(where, field, 'missing') : value;
}

/** V8 makes a slice of 13 or more characters a view into its source text, shorter ones copies. */
const SHORTEST_SHARED_SLICE = 13;

/**
 * The same text, as a string of its own, for ids that the feature state may keep (a transaction's, a customer's, a
 * terminal's, a fraud report's). Ids are cut from the decoded input (1 MiB of text per read), and V8 shares the text
 * of such a slice: one id kept by the state would keep its whole megabyte alive, and the state keeps weeks of ids.
 * Joining forces a flat copy, and slicing it again leaves a view into that copy only.
 */
export function detached(text: string): string {
  return text.length < SHORTEST_SHARED_SLICE ? text : ` ${text}`.slice(1);
}

/** Epoch milliseconds (a JSON integer or a string of digits) or an ISO-8601 date-time with a zone (iso-time.ts). */
export function requireTime(value: unknown, where: Where, field: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    return fail(where, field, `epoch milliseconds must be an integer, got ${shown(value)}`);
  }
  if (typeof value === 'string') {
    if (INTEGER.test(value)) {
      const ms = Number(value);
      if (Number.isSafeInteger(ms)) return ms;
    } else {
      const time = parseIsoTime(value, { dateAlone: false });
      if (time !== null && 'ms' in time) return time.ms;
      if (time !== null) {
        return fail(
          where,
          field,
          `${shown(value)} is not on the calendar: ${time.impossible}; correct it in the input`,
        );
      }
    }
    return fail(
      where,
      field,
      `must be epoch milliseconds or ISO-8601 with a zone (2024-01-31T23:59:59Z), got ${shown(value)}`,
    );
  }
  return fail(where, field, value === undefined ? 'missing' : `must be a time, got ${shown(value)}`);
}

/** Major units: a JSON number, or decimal digits (CSV). Its range is the contract's to check. */
export function requireAmount(value: unknown, where: Where): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
  return fail(where, 'amount', value === undefined ? 'missing' : `must be a number >= 0, got ${shown(value)}`);
}

export function requireIsFraud(value: unknown, where: Where): boolean {
  if (value === true || value === 1 || value === 'true' || value === '1') return true;
  if (value === false || value === 0 || value === 'false' || value === '0') return false;
  return fail(where, 'is_fraud', value === undefined ? 'missing' : `must be true, false, 1 or 0, got ${shown(value)}`);
}
