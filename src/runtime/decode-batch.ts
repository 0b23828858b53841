import type { LabelEvent, PositionedTransaction, TransactionEvent } from '../core/contract/events.js';
import type { DeadLetterReason } from '../core/contract/reasons.js';
import type { AvroSerde } from '../adapters/registry/serde.js';
import { createContractReader } from '../adapters/registry/contract-records.js';
import type { ConsumedRecord } from './consumed-record.js';

/** A consumed batch, read: what goes on to the features, and what the commit needs. */
export interface DecodedBatch {
  /** Valid transactions in batch order, each with the record it came from (transactionRecords[i]). */
  readonly transactions: PositionedTransaction[];
  readonly transactionRecords: ConsumedRecord[];
  readonly labels: LabelEvent[];
  /** Label records consumed, valid or not. */
  readonly labelRecords: number;
  /** Input offsets consumed per partition, [from, to): the feature state's absorbed-offset marker moves with them. */
  readonly consumed: ReadonlyMap<number, { from: number; to: number }>;
  /** Per topic and partition, the offset to commit (after the batch's last record there). */
  readonly offsets: Map<string, Map<number, string>>;
}

/** What a record that cannot be read gets: a dead letter with the reason (see score-batch.ts). */
export type RejectRecord = (
  record: ConsumedRecord,
  reason: DeadLetterReason,
  detail: string,
  transactionId: string | null,
) => void;

export interface BatchReader {
  readonly serde: AvroSerde;
  readonly labelsTopic: string;
  /** Records larger than this are rejected unread. */
  readonly maxRecordBytes: number;
}

/**
 * Reads every record of a batch as the contract reads it (adapters/registry/contract-records.ts, shared with the
 * backfill): an evolved upstream schema reads as v1, and a record written with another subject's schema (a label on
 * the input topic) is WRONG_SCHEMA rather than a string of missing fields. Each record that is oversized, undecodable
 * or invalid is handed to `reject`; the others are returned.
 */
export function createBatchDecoder(reader: BatchReader) {
  const contract = createContractReader(reader.serde, reader.maxRecordBytes);

  return async function decodeBatch(
    records: readonly ConsumedRecord[],
    nowMs: number,
    reject: RejectRecord,
  ): Promise<DecodedBatch> {
    const transactions: PositionedTransaction[] = [];
    const transactionRecords: ConsumedRecord[] = [];
    const labels: LabelEvent[] = [];
    let labelRecords = 0;
    const consumed = new Map<number, { from: number; to: number }>();
    /** Per topic and partition, the last offset taken (a BigInt per record would cost more than its decoding). */
    const lastOffsets = new Map<string, Map<number, string>>();

    await contract.prepare(records.filter((record) => !record.decoded).map((record) => record.value));
    for (const record of records) {
      // A partition's records come in offset order: the last one seen is the one to commit after (see below).
      let perTopic = lastOffsets.get(record.topic);
      if (!perTopic) lastOffsets.set(record.topic, (perTopic = new Map()));
      perTopic.set(record.partition, record.offset);

      // Accepted on arrival (alignment.ts) under the default size limit: this reader's own limit is checked again.
      const keyBytes = record.key?.length ?? 0;
      const withinLimit = (record.value?.length ?? 0) <= reader.maxRecordBytes && keyBytes <= reader.maxRecordBytes;
      const accepted = withinLimit ? record.accepted : undefined;
      if (record.topic === reader.labelsTopic) {
        labelRecords++;
        if (accepted) {
          labels.push(accepted as LabelEvent);
          continue;
        }
        const read = contract.label(record.value, nowMs, record.decoded, keyBytes);
        if (read.ok) labels.push(read.record);
        else reject(record, read.reason, read.detail, read.transactionId);
        continue;
      }
      noteConsumed(consumed, record.partition, Number(record.offset));
      let event = accepted as TransactionEvent | undefined;
      if (!event) {
        const read = contract.transaction(record.value, nowMs, record.decoded, keyBytes);
        if (!read.ok) {
          reject(record, read.reason, read.detail, read.transactionId);
          continue;
        }
        event = read.record;
      }
      transactions.push({ ...event, position: { partition: record.partition, offset: Number(record.offset) } });
      transactionRecords.push(record);
    }
    const offsets = new Map(
      [...lastOffsets].map(([topic, partitions]) => [
        topic,
        new Map([...partitions].map(([partition, offset]) => [partition, (BigInt(offset) + 1n).toString()])),
      ]),
    );
    return { transactions, transactionRecords, labels, labelRecords, consumed, offsets };
  };
}

function noteConsumed(consumed: Map<number, { from: number; to: number }>, partition: number, offset: number): void {
  const range = consumed.get(partition);
  if (range === undefined) consumed.set(partition, { from: offset, to: offset + 1 });
  else {
    range.from = Math.min(range.from, offset);
    range.to = Math.max(range.to, offset + 1);
  }
}
