import type { LabelEvent } from './events.js';
import { DeadLetterReason } from './reasons.js';

export type LabelValidation =
  | { readonly ok: true; readonly label: LabelEvent }
  /** `field`: the record field at fault (a file backfill names it with the file and line). */
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly field: string; readonly detail: string };

export function validateLabel(record: Record<string, unknown>): LabelValidation {
  const transactionId = record['transaction_id'];
  if (typeof transactionId !== 'string' || transactionId.length === 0 || transactionId.length > 128) {
    return {
      ok: false,
      reason: DeadLetterReason.InvalidField,
      field: 'transaction_id',
      detail: 'transaction_id must be 1..128 characters',
    };
  }
  const isFraud = record['is_fraud'];
  if (typeof isFraud !== 'boolean') {
    return {
      ok: false,
      reason: DeadLetterReason.InvalidField,
      field: 'is_fraud',
      detail: 'is_fraud must be a boolean',
    };
  }
  const reportedAt = record['reported_at'];
  if (typeof reportedAt !== 'number' || !Number.isSafeInteger(reportedAt) || reportedAt < 0) {
    return {
      ok: false,
      reason: DeadLetterReason.AbsurdTimestamp,
      field: 'reported_at',
      detail: 'reported_at must be epoch milliseconds, an integer >= 0',
    };
  }
  return { ok: true, label: { transactionId, isFraud, reportedAtMs: reportedAt } };
}
