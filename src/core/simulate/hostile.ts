import { DeadLetterReason } from '../contract/reasons.js';
import type { SimulatedTransaction, TransactionRecord } from './records.js';
import { toTransactionRecord } from './records.js';

/**
 * Records a hostile or broken upstream could send, injected with --invalid-rate to prove that bad input is
 * dead-lettered with the right reason and never crashes a worker. Each is an EXTRA record (it replaces nothing), keyed
 * and, where it has one, identified by a `bad-` id so that accounting can check: every valid id scored once, every
 * `bad-` record dead-lettered once.
 */
export const HostileKind = {
  /** UTF-8 JSON of a transaction: a producer that forgot the Avro serializer. No magic byte, no schema id. */
  NotWireFormat: 'not-wire-format',
  /** Valid Avro body behind a schema id the registry never issued (UNREGISTERED_SCHEMA_ID). */
  UnknownSchemaId: 'unknown-schema-id',
  /** Registered schema id, but the Avro body is cut in half (a torn write or a mangling proxy). */
  TruncatedBody: 'truncated-body',
  /** Amount below zero (refunds are not payments and must not be scored as one). */
  NegativeAmount: 'negative-amount',
  /** Amount NaN: Avro doubles carry it happily, and one NaN poisons every sum it reaches. */
  NaNAmount: 'nan-amount',
  /** Amount 1e18: finite, but its cents exceed 2^53 and cannot be represented exactly. */
  HugeAmount: 'huge-amount',
  /** Event time 9999-12-31: would push event-time watermarks to the end of time. */
  FarFutureTimestamp: 'far-future-timestamp',
  /** Event time 0 (1970-01-01): the usual sign of an unset field. */
  EpochZeroTimestamp: 'epoch-zero-timestamp',
  /** transaction_id "": nothing to trace the outcome to. */
  EmptyTransactionId: 'empty-transaction-id',
  /** customer_id "": would pool unrelated payments under one empty feature key. */
  EmptyCustomerId: 'empty-customer-id',
} as const;
export type HostileKind = (typeof HostileKind)[keyof typeof HostileKind];

/** How the Kafka sink turns the value into bytes. */
export type HostileEncoding = 'avro' | 'plain-json' | 'unregistered-schema-id' | 'truncated-avro';

/**
 * A schema id no registry hands out in practice (ids count up from 1). 2^31 - 2 rather than 2^31 - 1 in case a
 * registry treats the maximum as a sentinel.
 */
export const UNREGISTERED_SCHEMA_ID = 2_147_483_646;

const FAR_FUTURE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const HUGE_AMOUNT = 1e18;

interface KindSpec {
  readonly encoding: HostileEncoding;
  readonly expectedReason: DeadLetterReason;
  readonly corrupt: (value: TransactionRecord) => TransactionRecord;
}

const same = (value: TransactionRecord): TransactionRecord => value;

const SPECS: Readonly<Record<HostileKind, KindSpec>> = {
  [HostileKind.NotWireFormat]: {
    encoding: 'plain-json',
    expectedReason: DeadLetterReason.NotWireFormat,
    corrupt: same,
  },
  [HostileKind.UnknownSchemaId]: {
    encoding: 'unregistered-schema-id',
    expectedReason: DeadLetterReason.UnknownSchemaId,
    corrupt: same,
  },
  [HostileKind.TruncatedBody]: {
    encoding: 'truncated-avro',
    expectedReason: DeadLetterReason.UndecodableBody,
    corrupt: same,
  },
  [HostileKind.NegativeAmount]: {
    encoding: 'avro',
    expectedReason: DeadLetterReason.InvalidAmount,
    corrupt: (v) => ({ ...v, amount: -Math.max(v.amount, 0.01) }),
  },
  [HostileKind.NaNAmount]: {
    encoding: 'avro',
    expectedReason: DeadLetterReason.InvalidAmount,
    corrupt: (v) => ({ ...v, amount: Number.NaN }),
  },
  [HostileKind.HugeAmount]: {
    encoding: 'avro',
    expectedReason: DeadLetterReason.InvalidAmount,
    corrupt: (v) => ({ ...v, amount: HUGE_AMOUNT }),
  },
  [HostileKind.FarFutureTimestamp]: {
    encoding: 'avro',
    expectedReason: DeadLetterReason.AbsurdTimestamp,
    corrupt: (v) => ({ ...v, event_time: FAR_FUTURE_MS }),
  },
  [HostileKind.EpochZeroTimestamp]: {
    encoding: 'avro',
    expectedReason: DeadLetterReason.AbsurdTimestamp,
    corrupt: (v) => ({ ...v, event_time: 0 }),
  },
  [HostileKind.EmptyTransactionId]: {
    encoding: 'avro',
    expectedReason: DeadLetterReason.InvalidField,
    corrupt: (v) => ({ ...v, transaction_id: '' }),
  },
  [HostileKind.EmptyCustomerId]: {
    encoding: 'avro',
    expectedReason: DeadLetterReason.InvalidField,
    corrupt: (v) => ({ ...v, customer_id: '' }),
  },
};

/** All kinds, in the fixed order the generator cycles through (so even a handful of records covers every kind). */
export const HOSTILE_KINDS: readonly HostileKind[] = Object.values(HostileKind);

export interface HostileRecord {
  readonly kind: HostileKind;
  /** The `bad-` id: the record's Kafka key, and its transaction_id unless the kind empties that. */
  readonly id: string;
  /**
   * Kafka record timestamp: the time of the valid payment it follows. Not the (possibly absurd) event_time inside
   * the value, which a broker could reject (log.message.timestamp.*.max.ms) before the pipeline ever sees it.
   */
  readonly recordTimeMs: number;
  readonly encoding: HostileEncoding;
  /** The dead-letter reason a correct pipeline gives this record. */
  readonly expectedReason: DeadLetterReason;
  readonly value: TransactionRecord;
}

/** A hostile record modelled on a real payment (same customer, terminal, time) so it is plausible up to its defect. */
export function makeHostileRecord(kind: HostileKind, id: string, base: SimulatedTransaction): HostileRecord {
  const spec = SPECS[kind];
  const value = spec.corrupt({ ...toTransactionRecord(base), transaction_id: id });
  return {
    kind,
    id,
    recordTimeMs: base.eventTimeMs,
    encoding: spec.encoding,
    expectedReason: spec.expectedReason,
    value,
  };
}
