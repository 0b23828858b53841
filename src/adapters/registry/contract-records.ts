import type { LabelEvent, TransactionEvent } from '../../core/contract/events.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../../core/contract/limits.js';
import { DeadLetterReason } from '../../core/contract/reasons.js';
import { validateLabel } from '../../core/contract/validate-label.js';
import { validateTransaction } from '../../core/contract/validate-transaction.js';
import { readContractSchema } from './contract-schemas.js';
import type { AvroSerde, DecodeResult } from './serde.js';

/** The two input records of the contract: a transaction on the input topic, a label on the labels topic. */
export type ContractRecordKind = 'transaction' | 'label';

/** A contract record read from its bytes, or the dead-letter reason (and the transaction id, when one was read). */
export type ContractRecordOutcome<T> =
  | { readonly ok: true; readonly record: T }
  | {
      readonly ok: false;
      readonly reason: DeadLetterReason;
      readonly detail: string;
      readonly transactionId: string | null;
    };

export interface ContractRecordReader {
  /** Looks up the schema ids the values name (AvroSerde.prepare): call it once per batch before reading. */
  prepare(values: readonly (Buffer | null)[]): Promise<void>;
  /**
   * The size limit, then the bytes read as the contract's schema of that kind (no validation). `keyBytes`: the
   * length of the record's Kafka key, under the same limit (a score or dead letter carries the key on).
   */
  decode(kind: ContractRecordKind, value: Buffer | null, keyBytes?: number): DecodeResult;
  /**
   * A transaction, validated against `nowMs` (the contract's "at most 24 h ahead" rule). `decoded`: what decode()
   * gave for these bytes earlier (the online runner decodes on arrival for the event time); the size limit is
   * checked again, since that decode may have been another reader's.
   */
  transaction(
    value: Buffer | null,
    nowMs: number,
    decoded?: DecodeResult,
    keyBytes?: number,
  ): ContractRecordOutcome<TransactionEvent>;
  /** A label, as transaction() reads a transaction (reported_at, too, at most 24 h ahead of `nowMs`). */
  label(
    value: Buffer | null,
    nowMs: number,
    decoded?: DecodeResult,
    keyBytes?: number,
  ): ContractRecordOutcome<LabelEvent>;
}

/**
 * The transaction id a dead letter carries: the id exactly as read, or null; never a changed one. Consumers join dead
 * letters and scores by this id, and a changed id may be another, validly scored transaction's (a 129-character id cut
 * to 128). Null where there is no id (not a string, or empty) and where the string read is not what the producer wrote:
 * U+FFFD stands in for bytes that were not UTF-8 (no valid id holds it either). No length limit: the dead-letter
 * schema's field is an unbounded string, and the record limit bounds the id (a dead letter stays far below the
 * broker's message limit with the id and the original value both at 64 KiB).
 */
function carriedTransactionId(id: unknown): string | null {
  return typeof id === 'string' && id.length > 0 && !id.includes('\uFFFD') ? id : null;
}

/**
 * Bytes → contract record or dead-letter reason: the one way both runtimes read their inputs (the online runner in
 * runtime/decode-batch.ts and runtime/alignment.ts, the backfill and `state rebuild` in backfill/kafka-source.ts), so
 * that the backfill trains on exactly the records a worker scores, with the same values. In order: the size limit
 * (unread above it), the registry serde reading the bytes as the contract's schema (an evolved upstream schema reads
 * as v1, Avro promotions apply, a schema that cannot be read so is WRONG_SCHEMA), then the contract's validation.
 */
export function createContractReader(
  serde: Pick<AvroSerde, 'prepare' | 'decodeSync'>,
  maxRecordBytes: number = DEFAULT_MAX_RECORD_BYTES,
): ContractRecordReader {
  const schemas = { transaction: readContractSchema('transaction'), label: readContractSchema('label') };

  function oversized(value: Buffer | null, keyBytes: number): DecodeResult | undefined {
    const valueBytes = value?.length ?? 0;
    // Per record: nothing is allocated unless one part is over the limit.
    if (valueBytes <= maxRecordBytes && keyBytes <= maxRecordBytes) return undefined;
    const [what, bytes] = valueBytes > maxRecordBytes ? ['value', valueBytes] : ['key', keyBytes];
    return {
      ok: false,
      reason: DeadLetterReason.OversizedRecord,
      detail: `${what} is ${bytes} bytes; the limit is ${maxRecordBytes}`,
    };
  }

  const read = (
    kind: ContractRecordKind,
    value: Buffer | null,
    decoded: DecodeResult | undefined,
    keyBytes: number,
  ): DecodeResult => oversized(value, keyBytes) ?? decoded ?? serde.decodeSync(value, schemas[kind]);

  return {
    prepare: (values) => serde.prepare(values),
    decode: (kind, value, keyBytes = 0) => read(kind, value, undefined, keyBytes),
    transaction(value, nowMs, decoded, keyBytes = 0) {
      const result = read('transaction', value, decoded, keyBytes);
      if (!result.ok) return { ...result, transactionId: null };
      const checked = validateTransaction(result.value, nowMs);
      if (checked.ok) return { ok: true, record: checked.event };
      return {
        ok: false,
        reason: checked.reason,
        detail: checked.detail,
        transactionId: carriedTransactionId(result.value['transaction_id']),
      };
    },
    label(value, nowMs, decoded, keyBytes = 0) {
      const result = read('label', value, decoded, keyBytes);
      if (!result.ok) return { ...result, transactionId: null };
      const checked = validateLabel(result.value, nowMs);
      return checked.ok
        ? { ok: true, record: checked.label }
        : {
            ok: false,
            reason: checked.reason,
            detail: checked.detail,
            transactionId: carriedTransactionId(result.value['transaction_id']),
          };
    },
  };
}
