/**
 * The feature state port: everything the feature engine needs from storage, and nothing more. Two backends
 * implement it (memory-state.ts for the backfill and unit tests, adapters/redis/feature-state.ts online) and one
 * conformance suite (test/support/feature-conformance.ts) runs against both.
 *
 * The backends store and answer range queries; they never decide which window a record belongs to. All window
 * arithmetic (bounds, log-order precedence, deduplication, label filtering, means) lives in the core, so it exists
 * once. A featurize() call is exactly two port calls: recordBatch, then readBatch (two Redis round trips).
 */

/**
 * Customer history records are four float64 values, interleaved: event time (epoch ms), amount (minor units),
 * partition, offset. Float64 holds every integer below 2^53 exactly, which covers all four.
 */
export const CUSTOMER_RECORD_WIDTH = 4;
export const CUSTOMER_FIELD_EVENT_TIME = 0;
export const CUSTOMER_FIELD_AMOUNT_MINOR = 1;
export const CUSTOMER_FIELD_PARTITION = 2;
export const CUSTOMER_FIELD_OFFSET = 3;

/**
 * A customer's recorded transactions in append order (log order, but a replayed batch appends its records again:
 * the engine deduplicates by position). Records [start, end) of `records`, which the backend may share with its own
 * storage: valid until the next call on the port.
 */
export interface CustomerHistory {
  /** A Float64Array (Redis) or a plain number array (memory): any indexable list of numbers. */
  readonly records: ArrayLike<number>;
  readonly start: number;
  readonly end: number;
}

export interface CustomerAppend {
  readonly customerId: string;
  /**
   * Records to append are records[from, to) of this array (record indices; CUSTOMER_RECORD_WIDTH values each), in
   * log order. The array is shared by all customers of the batch, so that a batch allocates one, not one per customer.
   */
  readonly records: Float64Array;
  readonly from: number;
  readonly to: number;
  /** No query will look at records older than this: the backend may drop a prefix of the history older than it. */
  readonly trimBeforeMs: number;
}

export interface TerminalTransaction {
  readonly transactionId: string;
  readonly eventTimeMs: number;
}

export interface TerminalAppend {
  readonly terminalId: string;
  /**
   * The batch's transactions at this terminal. Idempotent: the terminal stores a transaction once per (event time,
   * transaction id), so a replay changes nothing. The first recording of a transaction id (at any terminal) also
   * indexes it for fraud labels (first write wins) and joins a fraud report waiting for it, atomically.
   */
  readonly transactions: readonly TerminalTransaction[];
  /** No query will look at the terminal's transactions (or fraud reports) older than this: they may be dropped. */
  readonly trimBeforeMs: number;
}

export interface StateWrite {
  /** One entry per distinct customer of the batch. Appending is not idempotent; reads deduplicate by position. */
  readonly customers: readonly CustomerAppend[];
  /** One entry per distinct terminal of the batch. Order across terminals does not matter. */
  readonly terminals: readonly TerminalAppend[];
}

/**
 * Range queries over terminal transaction event times, grouped by terminal (one key lookup per terminal):
 * ranges [rangeStart[g], rangeStart[g + 1]) belong to terminalIds[g]. Parallel arrays: no object per query.
 */
export interface TerminalRanges {
  readonly terminalIds: readonly string[];
  /** terminalIds.length + 1 entries. */
  readonly rangeStart: Int32Array;
  readonly fromExclusiveMs: Float64Array;
  readonly toInclusiveMs: Float64Array;
}

/**
 * Everything a batch's features need. Its customers and terminals are those of the preceding recordBatch, in the
 * same order, so a backend may reuse what it looked up there.
 */
export interface StateRead {
  readonly customerIds: readonly string[];
  /** Answered with the number of recorded transactions of the terminal with event time in each range. */
  readonly terminalCounts: TerminalRanges;
  /**
   * One range per terminal: answered with at least the fraud reports joined to the terminal's transactions with
   * event time in it (a backend may return more; the engine filters by event time and reportedAtMs).
   */
  readonly terminalFraud: TerminalRanges;
}

/** A fraud label joined to its transaction: the earliest reportedAtMs of all fraud labels for it. */
export interface FraudReport {
  readonly transactionId: string;
  readonly eventTimeMs: number;
  readonly reportedAtMs: number;
}

export interface StateSnapshot {
  /** Aligned with StateRead.customerIds; an unknown customer has an empty history. */
  readonly customers: readonly CustomerHistory[];
  /** One count per range of StateRead.terminalCounts. */
  readonly terminalCounts: Float64Array;
  /** One list per terminal of StateRead.terminalFraud; any order. */
  readonly terminalFraud: readonly (readonly FraudReport[])[];
}

export interface FraudReportWrite {
  readonly transactionId: string;
  readonly reportedAtMs: number;
}

export interface FeatureStatePort {
  /** Records a batch; the writes of one call are applied atomically per entity, and several workers may call it. */
  recordBatch(write: StateWrite): Promise<void>;
  /** Reads what a batch's features need, after its recordBatch. */
  readBatch(read: StateRead): Promise<StateSnapshot>;
  /**
   * Records fraud labels. A report for a recorded transaction joins it now (keeping the earliest reportedAtMs);
   * one for a transaction not yet recorded waits, and recordBatch joins it. Idempotent.
   */
  recordFraudReports(reports: readonly FraudReportWrite[]): Promise<void>;
}
