import { DeadLetterReason } from './reasons.js';
import { violation, type ContractViolation } from './violation.js';

/** The longest id the contract takes, in characters. */
export const MAX_ID_LENGTH = 128;

/**
 * The one rule for every id of the contract, a transaction's, customer's and terminal's and a label's transaction id:
 * printable ASCII without spaces (0x21-0x7E). A label names its transaction by an id the transaction could have had.
 */
const ID_PATTERN = /^[\x21-\x7e]+$/;

/** The id in `record[field]`, or why the contract refuses it. */
export function checkId(record: Record<string, unknown>, field: string): string | ContractViolation {
  const value = record[field];
  if (typeof value !== 'string' || value.length === 0) {
    return violation(DeadLetterReason.InvalidField, field, `${field} must be a non-empty string`);
  }
  if (value.length > MAX_ID_LENGTH || !ID_PATTERN.test(value)) {
    return violation(
      DeadLetterReason.InvalidField,
      field,
      `${field} must be 1..${MAX_ID_LENGTH} printable ASCII characters without spaces`,
    );
  }
  return value;
}
