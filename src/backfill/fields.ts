import { toMinorUnits } from '../core/contract/events.js';
import { BackfillInputError } from './errors.js';

/**
 * Field validation of backfill inputs, the same rules as the Avro contract (schemas/transaction.avsc, label.avsc).
 * Values come typed from JSON Lines (numbers, booleans) or as text from CSV; both are accepted where unambiguous.
 */

/** Where a record sits; one mutable instance per reader, so validating allocates nothing. */
export interface Where {
  file: string;
  line: number;
}

const MAX_ID_LENGTH = 128;
const INTEGER = /^-?\d+$/;
/** A date and time with an explicit zone (Z or ±hh:mm): a zone-less time would depend on the host's time zone. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;
const DECIMAL = /^\d+(\.\d+)?$/;
const CURRENCY = /^[A-Z]{3}$/;

export function fail(where: Where, field: string, problem: string): never {
  throw new BackfillInputError(where.file, where.line, field, problem);
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function requireId(value: unknown, where: Where, field: string, maxLength = Infinity): string {
  if (typeof value !== 'string' || value.length === 0) {
    return fail(where, field, value === undefined ? 'missing' : `must be a non-empty string, got ${shown(value)}`);
  }
  if (value.length > maxLength) {
    return fail(where, field, `must be at most ${maxLength} characters, got ${value.length}`);
  }
  return value;
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

export function requireTransactionId(value: unknown, where: Where): string {
  return requireId(value, where, 'transaction_id', MAX_ID_LENGTH);
}

/** Epoch milliseconds (a JSON integer or a string of digits) or an ISO-8601 date-time with a zone. */
export function requireTime(value: unknown, where: Where, field: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    return fail(where, field, `epoch milliseconds must be an integer, got ${shown(value)}`);
  }
  if (typeof value === 'string') {
    if (INTEGER.test(value)) {
      const ms = Number(value);
      if (Number.isSafeInteger(ms)) return ms;
    } else if (ISO_8601.test(value)) {
      const ms = Date.parse(value);
      if (Number.isFinite(ms)) return ms;
    }
    return fail(
      where,
      field,
      `must be epoch milliseconds or ISO-8601 with a zone (2024-01-31T23:59:59Z), got ${shown(value)}`,
    );
  }
  return fail(where, field, value === undefined ? 'missing' : `must be a time, got ${shown(value)}`);
}

/** Major units (finite, >= 0) → integer minor units, exactly as the online decoder converts them. */
export function requireAmountMinor(value: unknown, where: Where): number {
  let amount: number;
  if (typeof value === 'number') {
    amount = value;
  } else if (typeof value === 'string' && DECIMAL.test(value)) {
    amount = Number(value);
  } else {
    return fail(where, 'amount', value === undefined ? 'missing' : `must be a number >= 0, got ${shown(value)}`);
  }
  const minor = toMinorUnits(amount);
  if (!(amount >= 0) || !Number.isSafeInteger(minor)) {
    return fail(where, 'amount', `must be a finite number >= 0, got ${shown(value)}`);
  }
  return minor;
}

export function requireCurrency(value: unknown, where: Where): string {
  if (typeof value === 'string' && CURRENCY.test(value)) {
    return value;
  }
  return fail(
    where,
    'currency',
    value === undefined ? 'missing' : `must be an ISO 4217 code (EUR), got ${shown(value)}`,
  );
}

export function requireIsFraud(value: unknown, where: Where): boolean {
  if (value === true || value === 1 || value === 'true' || value === '1') return true;
  if (value === false || value === 0 || value === 'false' || value === '0') return false;
  return fail(where, 'is_fraud', value === undefined ? 'missing' : `must be true, false, 1 or 0, got ${shown(value)}`);
}
