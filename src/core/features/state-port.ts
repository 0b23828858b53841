/**
 * The feature state port: everything the feature engine needs from storage, and nothing more. Two backends
 * implement it (memory-state.ts for the backfill and unit tests, adapters/redis/feature-state.ts online) and one
 * conformance suite (test/support/feature-conformance.ts) runs against both.
 *
 * The backends store and answer range queries; they never decide which window a record belongs to. All window
 * arithmetic (bounds, log-order precedence, deduplication, label filtering, means) lives in the core, so it exists
 * once. A featurize() call is exactly two port calls: recordBatch, then readBatch. Online that is one Redis round
 * trip: the record script answers with what the batch's entities gained, and the read is served from the worker's
 * replicas (adapters/redis/feature-state.ts).
 */
import type { LogPosition } from '../contract/events.js';

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
  /**
   * From a backend that tracks it as it appends (HistoryFacts): true only when records [start, end) are in order, on
   * one partition with offsets strictly and event times weakly ascending. Absent or false: the engine checks.
   */
  readonly inOrder?: boolean;
  /**
   * From such a backend: running sums of the amounts over `records`. amountsBefore[c] − amountsBefore[b] is the exact
   * sum of the amounts of records [b, c) (only differences are meaningful: records dropped from the front stay counted).
   */
  readonly amountsBefore?: ArrayLike<number>;
}

export interface CustomerAppend {
  readonly customerId: string;
  /**
   * Records to append are records[from, to) of StateWrite.records (record indices; CUSTOMER_RECORD_WIDTH values
   * each), in log order, less the duplicates the write finds. The same array for all customers of the batch.
   */
  readonly records: Float64Array;
  readonly from: number;
  readonly to: number;
  /** No query will look at records older than this: the backend may drop a prefix of the history older than it. */
  readonly trimBeforeMs: number;
}

export interface TerminalAppend {
  readonly terminalId: string;
  /**
   * The batch's transactions at this terminal, as indices into StateWrite.records / transactionIds (the first record
   * of each (event time, transaction id) of the batch). Idempotent: the terminal stores a transaction once per (event
   * time, transaction id), so a replay changes nothing. A record the write finds to be a duplicate is not stored.
   */
  readonly records: readonly number[];
  /**
   * No query will look at the terminal's transactions (or fraud reports) older than this: both backends drop them on
   * this very write (one rule, so that a very late event reads the same window from either backend).
   */
  readonly trimBeforeMs: number;
}

/**
 * How far the batch advances what the state has absorbed of one input partition: offsets [from, to) were consumed
 * (scored, dead-lettered or duplicates alike). `expected` is the offset the writer knows the state to have absorbed
 * already (its own previous write, -1 if it has none): the write refuses to apply when the state's marker is missing
 * or below it, or missing while `from` > 0: the state lost what it had absorbed (FeatureStateBehindError).
 */
export interface PartitionProgress {
  readonly partition: number;
  readonly expected: number;
  readonly from: number;
  readonly to: number;
}

export interface StateWrite {
  /**
   * The batch's transactions as customer records (CUSTOMER_RECORD_WIDTH values each), grouped by customer in log
   * order within each customer: the customers' appends are slices of it.
   */
  readonly records: Float64Array;
  /** transactionIds[k] is the transaction id of record k. */
  readonly transactionIds: readonly string[];
  /**
   * The record indices in log order (the batch's order, across customers): claims are taken in this order, so that of
   * two records with one id in a batch the earlier in log order is the first occurrence.
   */
  readonly logOrder: Int32Array;
  /**
   * A record whose transaction id the state holds a claim for (the latest recording of the id that was no duplicate)
   * from another position, with an event time at most this far from it, is a duplicate: it is not stored anywhere,
   * and recordBatch reports it with the claim's position. Beyond the horizon the record takes the claim. Claims are
   * kept at least two horizons of event time behind the newest event.
   */
  readonly duplicateHorizonMs: number;
  /** One entry per distinct customer of the batch, in `records` order. Appending is not idempotent; reads deduplicate. */
  readonly customers: readonly CustomerAppend[];
  /** One entry per distinct terminal of the batch. Order across terminals does not matter. */
  readonly terminals: readonly TerminalAppend[];
  /** The input partitions the batch consumed; empty in the backfill (nothing to vouch for). */
  readonly progress: readonly PartitionProgress[];
}

/** A record of the write that repeats a transaction id recorded before at `first`. */
export interface DuplicateRecord {
  /** Index into StateWrite.records. */
  readonly record: number;
  readonly first: LogPosition;
}

export interface RecordResult {
  /** In record order; empty in the common case. */
  readonly duplicates: readonly DuplicateRecord[];
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
  /**
   * Records a batch, first claiming each transaction id (duplicates are reported and not stored) and checking the
   * absorbed-offset marker (FeatureStateBehindError, before anything is written). Applied atomically; several
   * workers may call it.
   */
  recordBatch(write: StateWrite): Promise<RecordResult>;
  /** Reads what a batch's features need, after its recordBatch. */
  readBatch(read: StateRead): Promise<StateSnapshot>;
  /**
   * Records fraud labels. A report for a recorded transaction joins it now (keeping the earliest reportedAtMs);
   * one for a transaction not yet recorded waits, and recordBatch joins it. Idempotent.
   */
  recordFraudReports(reports: readonly FraudReportWrite[]): Promise<void>;
}
