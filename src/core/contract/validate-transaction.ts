import { toMinorUnits, type TransactionEvent } from './events.js';
import { checkId, MAX_ID_LENGTH } from './ids.js';
import { MAX_FUTURE_SKEW_MS } from './limits.js';
import { DeadLetterReason } from './reasons.js';
import { violation, type ContractViolation } from './violation.js';

/** The interface contract for an input transaction, as numbers the README quotes. */
export const TransactionContract = {
  maxIdLength: MAX_ID_LENGTH,
  /** Amounts above this (major units) are not payments but bugs; 1e9 keeps minor units far inside 2^53. */
  maxAmount: 1_000_000_000,
  /** 2000-01-01: older event times are corrupt clocks, not payments. */
  minEventTimeMs: Date.UTC(2000, 0, 1),
  /** Event times further ahead of the worker's clock than this are rejected: skewed or corrupt. */
  maxFutureSkewMs: MAX_FUTURE_SKEW_MS,
} as const;

export type Validation = { readonly ok: true; readonly event: TransactionEvent } | ContractViolation;

const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** Checks a decoded record against the contract. `nowMs` is the worker's clock, injected. */
export function validateTransaction(record: Record<string, unknown>, nowMs: number): Validation {
  const transactionId = checkId(record, 'transaction_id');
  if (typeof transactionId !== 'string') return transactionId;
  const customerId = checkId(record, 'customer_id');
  if (typeof customerId !== 'string') return customerId;
  const terminalId = checkId(record, 'terminal_id');
  if (typeof terminalId !== 'string') return terminalId;

  const eventTime = record['event_time'];
  const eventTimeMs = typeof eventTime === 'number' ? eventTime : eventTime instanceof Date ? eventTime.getTime() : NaN;
  if (!Number.isSafeInteger(eventTimeMs)) {
    return violation(
      DeadLetterReason.AbsurdTimestamp,
      'event_time',
      'event_time must be an integer number of epoch milliseconds',
    );
  }
  if (eventTimeMs < TransactionContract.minEventTimeMs || eventTimeMs > nowMs + TransactionContract.maxFutureSkewMs) {
    return violation(
      DeadLetterReason.AbsurdTimestamp,
      'event_time',
      `event_time ${eventTimeMs} is outside [2000-01-01, now + 24 h]; fix the producer's clock`,
    );
  }

  const amount = record['amount'];
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    return violation(DeadLetterReason.InvalidAmount, 'amount', `amount must be a finite number, got ${String(amount)}`);
  }
  if (amount < 0 || amount > TransactionContract.maxAmount) {
    return violation(
      DeadLetterReason.InvalidAmount,
      'amount',
      `amount ${amount} is outside [0, ${TransactionContract.maxAmount}]`,
    );
  }

  const currency = record['currency'];
  if (typeof currency !== 'string' || !CURRENCY_PATTERN.test(currency)) {
    return violation(
      DeadLetterReason.InvalidField,
      'currency',
      'currency must be an ISO 4217 code of three upper-case letters',
    );
  }

  return {
    ok: true,
    event: { transactionId, eventTimeMs, customerId, terminalId, amountMinor: toMinorUnits(amount), currency },
  };
}
