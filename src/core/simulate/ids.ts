/**
 * Identifiers of simulated entities. Zero-padded so that lexical order is numeric order (handy in files and logs),
 * and derived from the seed and a counter only, so the same run always names things the same way.
 */

/** Wide enough for 10^10 transactions in one run. */
const TRANSACTION_DIGITS = 10;
/** Wide enough for the option maximum of 10,000,000 customers or terminals. */
const ENTITY_DIGITS = 7;

export function transactionId(seed: number, n: number): string {
  return `tx-${seed}-${String(n).padStart(TRANSACTION_DIGITS, '0')}`;
}

/** Hostile records get a distinct prefix so accounting can tell them from traffic: every `bad-` id must dead-letter. */
export const HOSTILE_ID_PREFIX = 'bad-';

export function hostileId(seed: number, n: number): string {
  return `${HOSTILE_ID_PREFIX}${seed}-${String(n).padStart(TRANSACTION_DIGITS, '0')}`;
}

export function customerId(index: number): string {
  return `cust-${String(index).padStart(ENTITY_DIGITS, '0')}`;
}

export function terminalId(index: number): string {
  return `term-${String(index).padStart(ENTITY_DIGITS, '0')}`;
}
