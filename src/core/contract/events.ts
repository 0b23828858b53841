/** A valid transaction, as the core sees it after decoding and contract validation. Money is in integer minor units. */
export interface TransactionEvent {
  readonly transactionId: string;
  /** Event time, epoch milliseconds (UTC). */
  readonly eventTimeMs: number;
  readonly customerId: string;
  readonly terminalId: string;
  /** Amount in integer minor units (cents): exact sums make online and backfill means bit-identical. */
  readonly amountMinor: number;
  readonly currency: string;
}

/** Where a record sits in its log. Log order within a partition is offset order; a file is one partition, line order. */
export interface LogPosition {
  readonly partition: number;
  readonly offset: number;
}

export interface PositionedTransaction extends TransactionEvent {
  readonly position: LogPosition;
}

/** Ground truth that arrives later than the transaction. */
export interface LabelEvent {
  readonly transactionId: string;
  readonly isFraud: boolean;
  /** When the label became known, epoch milliseconds. Features at time t only see labels with reportedAtMs <= t. */
  readonly reportedAtMs: number;
}

/** Minor units per major unit. One exponent for all currencies keeps the math exact and simple; documented in the README. */
export const MINOR_UNITS_PER_MAJOR = 100;

export function toMinorUnits(amountMajor: number): number {
  return Math.round(amountMajor * MINOR_UNITS_PER_MAJOR);
}
