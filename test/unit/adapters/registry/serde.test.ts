import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import { readContractSchema } from '../../../../src/adapters/registry/contract-schemas.js';
import { createAvroSerde, UNKNOWN_ID_RECHECK_MS } from '../../../../src/adapters/registry/serde.js';
import { DeadLetterReason } from '../../../../src/core/contract/reasons.js';
import { startStubRegistry, type StubRegistry } from '../../../support/stub-registry.js';

const TRANSACTION = readContractSchema('transaction');
const PAYMENT = {
  transaction_id: 'tx-1',
  event_time: Date.UTC(2026, 0, 10),
  customer_id: 'c-1',
  terminal_id: 't-1',
  amount: 12.5,
  currency: 'EUR',
};

function wire(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

const payment = (schemaId: number) => wire(schemaId, avro.Type.forSchema(TRANSACTION as avro.Schema).toBuffer(PAYMENT));

describe('AvroSerde: schema ids the registry does not know (yet)', () => {
  let registry: StubRegistry;
  before(async () => {
    registry = await startStubRegistry();
  });
  after(() => registry.close());

  it('reads an id registered after the registry said it did not know it, once UNKNOWN_ID_RECHECK_MS have passed', async () => {
    let now = 1_000;
    const serde = createAvroSerde({ url: registry.url }, { clock: () => now });
    const early = await serde.decode(payment(42));
    assert.equal(early.ok ? 'ok' : early.reason, DeadLetterReason.UnknownSchemaId);

    registry.schemas.set(42, TRANSACTION);
    now += UNKNOWN_ID_RECHECK_MS - 1;
    const soon = await serde.decode(payment(42));
    assert.equal(soon.ok ? 'ok' : soon.reason, DeadLetterReason.UnknownSchemaId, 'still unknown within the wait');

    now += 1;
    const later = await serde.decode(payment(42));
    assert.deepEqual(later.ok && later.value['transaction_id'], 'tx-1', 'read once the wait is over');
    assert.equal(registry.requests.get(42), 3, 'asked when first seen (the 404 confirmed) and once after the wait');
  });

  it('asks the registry about a truly unknown id once per UNKNOWN_ID_RECHECK_MS, however many batches name it', async () => {
    let now = 0;
    const serde = createAvroSerde({ url: registry.url }, { clock: () => now });
    const flood = Array.from({ length: 1_000 }, () => payment(77));
    for (let batch = 0; batch < 50; batch++) {
      now += UNKNOWN_ID_RECHECK_MS / 10;
      await serde.prepare(flood);
      for (const value of flood) {
        const read = serde.decodeSync(value, TRANSACTION);
        assert.equal(read.ok ? 'ok' : read.reason, DeadLetterReason.UnknownSchemaId);
      }
    }
    // 50 batches over 5 waits: the first look-up, then one after each wait; each a request and its confirmation.
    assert.equal(registry.requests.get(77), 2 * 5);
  });

  it("takes an id as unknown only on the registry's word: a 404 from something else retries the batch", async () => {
    let body = '404 page not found';
    let contentType = 'text/plain';
    const proxy = createServer((request, response) => {
      request.resume();
      response.writeHead(404, { 'content-type': contentType }).end(body);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const serde = createAvroSerde({ url });
      await assert.rejects(serde.prepare([payment(9)]), (error: Error) => {
        assert.equal(error.name, 'RegistryUnavailableError');
        assert.match(error.message, /answered HTTP 404 for schema 9 without the registry's "schema not found"/);
        return true;
      });
      // Another code (a subject, a version) is not "no schema with this id" either.
      [body, contentType] = [JSON.stringify({ error_code: 40401, message: 'Subject not found' }), 'application/json'];
      await assert.rejects(serde.prepare([payment(9)]), { name: 'RegistryUnavailableError' });
      [body, contentType] = [JSON.stringify({ error_code: 40403, message: 'Schema 9 not found' }), 'application/json'];
      await serde.prepare([payment(9)]);
      const read = serde.decodeSync(payment(9), TRANSACTION);
      assert.equal(read.ok ? 'ok' : read.reason, DeadLetterReason.UnknownSchemaId);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

describe('AvroSerde: dead-letter details a producer can act on', () => {
  let registry: StubRegistry;
  before(async () => {
    registry = await startStubRegistry({
      1: TRANSACTION,
      33: { schemaType: 'JSON', schema: JSON.stringify({ type: 'object' }) },
      34: 'string',
      35: { type: 'array', items: 'string' },
      36: {
        schemaType: 'PROTOBUF',
        schema: 'syntax = "proto3"; package upstream; message Payment { string transaction_id = 1; }',
      },
    });
  });
  after(() => registry.close());

  async function read(value: Buffer, reader: object | null = TRANSACTION) {
    const serde = createAvroSerde({ url: registry.url });
    await serde.prepare([value]);
    const result = serde.decodeSync(value, reader ?? undefined);
    assert.equal(result.ok, false, 'dead-lettered');
    return result as { reason: DeadLetterReason; detail: string };
  }

  it('says a JSON Schema or Protobuf schema id is not Avro, and what the topic takes', async () => {
    const json = await read(wire(33, Buffer.from('{"transaction_id":"tx-1"}')));
    assert.equal(json.reason, DeadLetterReason.WrongSchema);
    assert.equal(
      json.detail,
      'schema 33 is a JSON Schema, not Avro: the topic takes Avro records of fraudscore.v1.Transaction',
    );
    const proto = await read(wire(36, Buffer.from([0, 10, 4, 116, 120, 45, 49])));
    assert.equal(proto.reason, DeadLetterReason.WrongSchema);
    assert.equal(
      proto.detail,
      'schema 36 is a Protobuf schema, not Avro: the topic takes Avro records of fraudscore.v1.Transaction',
    );
  });

  it('says an Avro schema that is not a record is one, of which type', async () => {
    const text = await read(wire(34, avro.Type.forSchema('string').toBuffer('tx-1')));
    assert.equal(text.reason, DeadLetterReason.WrongSchema);
    assert.equal(
      text.detail,
      'schema 34 is a `string` schema, not a record: the topic takes Avro records of fraudscore.v1.Transaction',
    );
    const list = await read(wire(35, Buffer.from([0])));
    assert.equal(
      list.detail,
      'schema 35 is an `array` schema, not a record: the topic takes Avro records of fraudscore.v1.Transaction',
    );
    const unread = await read(wire(34, avro.Type.forSchema('string').toBuffer('tx-1')), null);
    assert.equal(unread.detail, 'schema 34 is a `string` schema, not a record: the topic takes Avro records');
  });

  it('names the field of a long beyond what a number holds exactly', async () => {
    const zeroTime = avro.Type.forSchema(TRANSACTION as avro.Schema).toBuffer({ ...PAYMENT, event_time: 0 });
    // transaction_id 'tx-1' takes 5 bytes (its length, then its characters); event_time 0 is the next, one byte.
    assert.equal(zeroTime[5], 0);
    const result = await read(
      wire(1, Buffer.concat([zeroTime.subarray(0, 5), zigzag(2n ** 60n), zeroTime.subarray(6)])),
    );
    assert.equal(result.reason, DeadLetterReason.UndecodableBody);
    assert.equal(
      result.detail,
      'Avro body does not match schema 1: field event_time holds a long beyond ±(2^53 − 2), which cannot be read ' +
        'exactly as a number (potential precision loss)',
    );
  });

  it('names the field where a truncated body runs out', async () => {
    const body = avro.Type.forSchema(TRANSACTION as avro.Schema).toBuffer(PAYMENT);
    const result = await read(wire(1, body.subarray(0, 12)));
    assert.equal(result.reason, DeadLetterReason.UndecodableBody);
    assert.match(result.detail, /^Avro body does not match schema 1: truncated buffer \(at field customer_id\)$/);
  });
});

/** An Avro long's bytes: zigzag, then a base-128 varint. */
function zigzag(value: bigint): Buffer {
  let rest = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  const bytes: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return Buffer.from(bytes);
}

describe('AvroSerde: a writer record that moved to another namespace', () => {
  // Every compatibility level accepts it: Avro matches records by their unqualified name.
  const moved = { ...(TRANSACTION as object), namespace: 'com.acme.payments' };
  const renamed = { ...(TRANSACTION as object), name: 'Payment' };
  let registry: StubRegistry;
  before(async () => {
    registry = await startStubRegistry({ 50: moved, 51: renamed });
  });
  after(() => registry.close());

  it('is read as the contract (same unqualified name); a record of another name still is not', async () => {
    const serde = createAvroSerde({ url: registry.url });
    const bytes = (id: number, schema: object) =>
      wire(id, avro.Type.forSchema(schema as avro.Schema).toBuffer(PAYMENT));
    await serde.prepare([bytes(50, moved), bytes(51, renamed)]);
    const read = serde.decodeSync(bytes(50, moved), TRANSACTION);
    assert.ok(read.ok, read.ok ? '' : read.detail);
    assert.deepEqual(Object.fromEntries(Object.keys(PAYMENT).map((key) => [key, read.value[key]])), PAYMENT);
    const other = serde.decodeSync(bytes(51, renamed), TRANSACTION);
    assert.equal(other.ok ? 'ok' : other.reason, DeadLetterReason.WrongSchema);
    assert.match(
      other.ok ? '' : other.detail,
      /schema 51 \(fraudscore\.v1\.Payment\) cannot be read as fraudscore\.v1\.Transaction/,
    );
  });
});
