import type { LabelEvent } from './events.js';
import { checkId } from './ids.js';
import { MAX_FUTURE_SKEW_MS } from './limits.js';
import { DeadLetterReason } from './reasons.js';
import { violation, type ContractViolation } from './violation.js';

export type LabelValidation = { readonly ok: true; readonly label: LabelEvent } | ContractViolation;

/** Checks a decoded label against the contract. `nowMs` is the worker's clock, injected (validateTransaction's). */
export function validateLabel(record: Record<string, unknown>, nowMs: number): LabelValidation {
  // The transaction's own id rule: a label whose id no transaction could carry labels nothing.
  const transactionId = checkId(record, 'transaction_id');
  if (typeof transactionId !== 'string') return transactionId;
  const isFraud = record['is_fraud'];
  if (typeof isFraud !== 'boolean') {
    return violation(DeadLetterReason.InvalidField, 'is_fraud', 'is_fraud must be a boolean');
  }
  const reportedAt = record['reported_at'];
  if (typeof reportedAt !== 'number' || !Number.isSafeInteger(reportedAt) || reportedAt < 0) {
    return violation(
      DeadLetterReason.AbsurdTimestamp,
      'reported_at',
      'reported_at must be epoch milliseconds, an integer >= 0',
    );
  }
  if (reportedAt > nowMs + MAX_FUTURE_SKEW_MS) {
    return violation(
      DeadLetterReason.AbsurdTimestamp,
      'reported_at',
      `reported_at ${reportedAt} is more than 24 h ahead of now; fix the producer's clock`,
    );
  }
  return { ok: true, label: { transactionId, isFraud, reportedAtMs: reportedAt } };
}
