import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { readContractSchema } from '../../../../src/adapters/registry/contract-schemas.js';
import { safeTypes } from '../../../../src/adapters/registry/safe-types.js';

const TRANSACTION = readContractSchema('transaction') as { fields: object[] };
const transaction = {
  transaction_id: 'tx-1',
  event_time: Date.UTC(2026, 0, 10),
  customer_id: 'c-1',
  terminal_id: 't-1',
  amount: 1.5,
  currency: 'EUR',
  channel: null,
  merchant_category: null,
  attributes: { device: 'phone', country: 'DE' },
};

/** The transaction schema as a producer may evolve it: one field added, an array of `items`. */
function withArrayOf(items: unknown): avro.Schema {
  return {
    ...TRANSACTION,
    fields: [...TRANSACTION.fields, { name: 'extra', type: { type: 'array', items } }],
  } as avro.Schema;
}

/** A count below 2^20 as a zigzag varint of three bytes always (padded with continuation bits, which Avro reads). */
function threeByteCount(count: number): Buffer {
  const zigzag = 2 * count;
  return Buffer.from([(zigzag & 0x7f) | 0x80, ((zigzag >> 7) & 0x7f) | 0x80, zigzag >> 14]);
}

/**
 * A valid transaction, then blocks of zero-width items until the record is 64 KiB: each block claims as many items
 * as there are bytes after its header, which a bound per block allows.
 */
function hostileBody(): Buffer {
  const head = avro.Type.forSchema(TRANSACTION as avro.Schema).toBuffer(transaction);
  const blocks = Math.floor((64 * 1024 - head.length - 1) / 3);
  const parts = [head];
  for (let i = 0; i < blocks; i++) parts.push(threeByteCount(3 * (blocks - i - 1) + 1));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

const typeOf = (schema: avro.Schema) => avro.Type.forSchema(schema, { typeHook: safeTypes });

describe('safe types: items claimed by all the blocks of a record', () => {
  const emptyRecord = { type: 'record', name: 'Empty', fields: [] };
  const body = hostileBody();

  it('refuses a record whose blocks together claim more items than it has bytes, reading as the writer', () => {
    const started = performance.now();
    assert.throws(() => typeOf(withArrayOf(emptyRecord)).fromBuffer(body), /truncated buffer/);
    // Unbounded, this record keeps the event loop busy for seconds; bounded, the work is proportional to its size.
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });

  it('refuses it when the reader skips the added field', () => {
    const writer = typeOf(withArrayOf(emptyRecord));
    const reader = typeOf(TRANSACTION as avro.Schema);
    const started = performance.now();
    assert.throws(() => reader.fromBuffer(body, reader.createResolver(writer)), /truncated buffer/);
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });

  it('still reads valid records of nested arrays and maps, up to one item a byte', () => {
    const schema = withArrayOf({ type: 'array', items: { type: 'map', values: 'int' } });
    const value = {
      ...transaction,
      extra: Array.from({ length: 200 }, (_, i) => [{ a: i }, {}, { b: 1, c: 2 }]),
    };
    const type = typeOf(schema);
    assert.deepEqual({ ...(type.fromBuffer(avro.Type.forSchema(schema).toBuffer(value)) as object) }, value);
    const ints = withArrayOf('int');
    const many = { ...transaction, extra: Array.from({ length: 5_000 }, () => 0) };
    assert.deepEqual({ ...(typeOf(ints).fromBuffer(avro.Type.forSchema(ints).toBuffer(many)) as object) }, many);
  });
});
