import type { DeadLetterReason } from './reasons.js';

/** A record the contract refuses, and why: the verdict both validations (transaction and label) return on failure. */
export interface ContractViolation {
  readonly ok: false;
  readonly reason: DeadLetterReason;
  /** The record field at fault (a file backfill names it with the file and line). */
  readonly field: string;
  /** For people: what the field must be. */
  readonly detail: string;
}

export function violation(reason: DeadLetterReason, field: string, detail: string): ContractViolation {
  return { ok: false, reason, field, detail };
}
