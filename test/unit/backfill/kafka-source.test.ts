/**
 * The backfill reads a topic's records exactly as a worker does: the same wire bytes, written with writer schemas
 * that differ from the contract's, end the same way (scored with the same values, or dead-lettered / skipped for the
 * same reason) in the worker's decode (its time reader and its batch decoder) and in the backfill's decoders. The real
 * registry serde reads them; only the registry's HTTP answers are stood in for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { createAvroSerde, type AvroSerde } from '../../../src/adapters/registry/serde.js';
import { labelDecoder, transactionDecoder } from '../../../src/backfill/kafka-source.js';
import type { LabelEvent, PositionedTransaction } from '../../../src/core/contract/events.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../../../src/core/contract/limits.js';
import { DeadLetterReason } from '../../../src/core/contract/reasons.js';
import { createTimeReader } from '../../../src/runtime/alignment.js';
import type { ConsumedRecord } from '../../../src/runtime/consumed-record.js';
import { createBatchDecoder } from '../../../src/runtime/decode-batch.js';
import { startStubRegistry, type StubRegistry } from '../../support/stub-registry.js';

const NOW = Date.UTC(2026, 0, 10);
const INPUT = 'payments';
const LABELS = 'labels';

type AvroRecordSchema = { name: string; namespace?: string; fields: { name: string; type: unknown }[] };
const transactionV1 = readContractSchema('transaction') as AvroRecordSchema;
const labelV1 = readContractSchema('label') as AvroRecordSchema;
const withFieldType = (name: string, type: unknown): AvroRecordSchema => ({
  ...transactionV1,
  fields: transactionV1.fields.map((field) => (field.name === name ? { ...field, type } : field)),
});

/** Writer schemas by registry id. */
const WRITERS: Record<number, AvroRecordSchema> = {
  1: transactionV1,
  2: withFieldType('customer_id', 'bytes'),
  3: withFieldType('currency', { type: 'enum', name: 'Currency', symbols: ['EUR', 'USD'] }),
  4: withFieldType('customer_id', ['null', 'string']),
  5: { ...transactionV1, name: 'Payment', namespace: 'com.acme' },
  6: labelV1,
};
const UNKNOWN_ID = 99;

function wire(schemaId: number, value: unknown): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, avro.Type.forSchema(WRITERS[schemaId] as avro.Schema).toBuffer(value)]);
}

/** The optional fields are left to their defaults. */
const payment = {
  transaction_id: 'tx-1',
  event_time: NOW - 60_000,
  customer_id: 'c-1',
  terminal_id: 't-1',
  amount: 12.5,
  currency: 'EUR',
};
const report = { transaction_id: 'tx-1', is_fraud: true, reported_at: NOW - 1_000 };

/** Input-topic records: what each writer schema makes of the same payment, and how the contract judges it. */
/** A Kafka key over the size limit: a score or dead letter carrying it on could outgrow the broker's message limit. */
const OVERSIZED_KEY = Buffer.alloc(DEFAULT_MAX_RECORD_BYTES + 1, 'k');

interface Case {
  readonly name: string;
  readonly value: Buffer | null;
  readonly key?: Buffer;
  readonly expected: 'scored' | DeadLetterReason;
}

const TRANSACTIONS: Case[] = [
  { name: 'the contract schema', value: wire(1, payment), expected: 'scored' },
  {
    name: 'customer_id as bytes (Avro promotes bytes to string)',
    value: wire(2, { ...payment, customer_id: Buffer.from('c-1') }),
    expected: 'scored',
  },
  { name: 'currency as an enum', value: wire(3, payment), expected: DeadLetterReason.WrongSchema },
  { name: 'customer_id as ["null","string"]', value: wire(4, payment), expected: DeadLetterReason.WrongSchema },
  { name: 'the v1 record renamed com.acme.Payment', value: wire(5, payment), expected: DeadLetterReason.WrongSchema },
  { name: 'a label on the input topic', value: wire(6, report), expected: DeadLetterReason.WrongSchema },
  {
    name: 'an invalid amount',
    value: wire(1, { ...payment, amount: 2e9 }),
    expected: DeadLetterReason.InvalidAmount,
  },
  {
    name: 'over the size limit',
    value: wire(1, { ...payment, attributes: { pad: 'x'.repeat(DEFAULT_MAX_RECORD_BYTES) } }),
    expected: DeadLetterReason.OversizedRecord,
  },
  {
    name: 'a key over the size limit',
    value: wire(1, payment),
    key: OVERSIZED_KEY,
    expected: DeadLetterReason.OversizedRecord,
  },
  { name: 'no wire format', value: Buffer.from('{"transaction_id":"tx-1"}'), expected: DeadLetterReason.NotWireFormat },
  {
    name: 'an unknown schema id',
    value: Buffer.from([0, 0, 0, 0, UNKNOWN_ID, 2]),
    expected: DeadLetterReason.UnknownSchemaId,
  },
  { name: 'no value', value: null, expected: DeadLetterReason.MissingValue },
];

/** Labels-topic records. */
const LABEL_RECORDS: Case[] = [
  { name: 'the contract schema', value: wire(6, report), expected: 'scored' },
  {
    name: 'a key over the size limit',
    value: wire(6, report),
    key: OVERSIZED_KEY,
    expected: DeadLetterReason.OversizedRecord,
  },
  { name: 'a transaction on the labels topic', value: wire(1, payment), expected: DeadLetterReason.WrongSchema },
  {
    name: 'a negative reported_at',
    value: wire(6, { ...report, reported_at: -1 }),
    expected: DeadLetterReason.AbsurdTimestamp,
  },
  {
    // Beyond 24 h ahead of any clock these tests run by (year 2223): taken, it would lift its partition's
    // alignment bound past every real label.
    name: 'a reported_at far in the future',
    value: wire(6, { ...report, reported_at: 8_000_000_000_000 }),
    expected: DeadLetterReason.AbsurdTimestamp,
  },
];

type Outcome<T> = { readonly record: T } | { readonly reason: string };

describe('backfill topic decoding is the worker decoding', () => {
  let registry: StubRegistry;
  let url: string;

  before(async () => {
    registry = await startStubRegistry(WRITERS);
    url = registry.url;
  });

  after(() => registry.close());

  /** A worker's outcome: the batch decoder alone, or after the time reader decoded the record on arrival. */
  async function worker(
    topic: string,
    value: Buffer | null,
    onArrival: boolean,
    key: Buffer | null = null,
  ): Promise<{ outcome: Outcome<unknown>; time: number | undefined }> {
    const serde: AvroSerde = createAvroSerde({ url });
    const record: ConsumedRecord = { topic, partition: 3, offset: '41', key, value };
    let time: number | undefined;
    if (onArrival) [time] = await createTimeReader(serde, LABELS)([record], topic);
    let reason: string | undefined;
    const decodeBatch = createBatchDecoder({ serde, labelsTopic: LABELS, maxRecordBytes: DEFAULT_MAX_RECORD_BYTES });
    const batch = await decodeBatch([record], NOW, (_record, why) => (reason = why));
    const read = topic === LABELS ? batch.labels[0] : batch.transactions[0];
    return { outcome: read !== undefined ? { record: read } : { reason: reason! }, time };
  }

  async function backfill<T>(
    decoder: ReturnType<typeof transactionDecoder> | ReturnType<typeof labelDecoder>,
    value: Buffer | null,
    key: Buffer | null = null,
  ): Promise<Outcome<T>> {
    await decoder.prepare([value]);
    const read = decoder.decode(value, 3, 41, key?.length ?? 0);
    return read.ok ? { record: read.record as T } : { reason: read.reason };
  }

  for (const { name, value, key = null, expected } of TRANSACTIONS) {
    it(`transaction, ${name}: ${expected} in both`, async () => {
      const backfilled = await backfill<PositionedTransaction>(
        transactionDecoder(createAvroSerde({ url }), NOW),
        value,
        key,
      );
      for (const onArrival of [false, true]) {
        const online = await worker(INPUT, value, onArrival, key);
        assert.deepEqual(backfilled, online.outcome, onArrival ? 'decoded on arrival' : 'decoded in the batch');
        if (onArrival) {
          const eventTime = 'record' in backfilled ? backfilled.record.eventTimeMs : undefined;
          assert.equal(online.time, eventTime, 'a time for alignment exactly when the record is scored');
        }
      }
      if (expected === 'scored') {
        assert.deepEqual(backfilled, {
          record: {
            transactionId: 'tx-1',
            eventTimeMs: NOW - 60_000,
            customerId: 'c-1',
            terminalId: 't-1',
            amountMinor: 1250,
            currency: 'EUR',
            position: { partition: 3, offset: 41 },
          },
        });
      } else {
        assert.deepEqual(backfilled, { reason: expected });
      }
    });
  }

  for (const { name, value, key = null, expected } of LABEL_RECORDS) {
    it(`label, ${name}: ${expected} in both`, async () => {
      const backfilled = await backfill<LabelEvent>(labelDecoder(createAvroSerde({ url }), NOW), value, key);
      for (const onArrival of [false, true]) {
        const online = await worker(LABELS, value, onArrival, key);
        assert.deepEqual(backfilled, online.outcome, onArrival ? 'decoded on arrival' : 'decoded in the batch');
        if (onArrival) {
          const reportedAt = 'record' in backfilled ? backfilled.record.reportedAtMs : undefined;
          assert.equal(online.time, reportedAt, 'a time for alignment exactly when the label is taken');
        }
      }
      assert.deepEqual(
        backfilled,
        expected === 'scored'
          ? { record: { transactionId: 'tx-1', isFraud: true, reportedAtMs: NOW - 1_000 } }
          : { reason: expected },
      );
    });
  }
});
