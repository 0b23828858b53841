import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import avro from 'avsc';
import type { AvroSerde } from '../../../src/adapters/registry/serde.js';
import {
  FraudScenario,
  HOSTILE_KINDS,
  HostileKind,
  UNREGISTERED_SCHEMA_ID,
  makeHostileRecord,
} from '../../../src/core/simulate/index.js';
import { hostileBytes } from '../../../src/simulate/hostile-bytes.js';

const SCHEMA_ID = 7;
const type = avro.Type.forSchema(JSON.parse(readFileSync('schemas/transaction.avsc', 'utf8')) as avro.Schema);

/** The serde's encode without a registry: the same Confluent framing around the same avsc body. */
const serde: Pick<AvroSerde, 'encode'> = {
  encode(schemaId, value) {
    const body = type.toBuffer(value);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(schemaId, 1);
    return Buffer.concat([header, body]);
  },
};

const base = {
  number: 0,
  transactionId: 'tx-1-0000000000',
  eventTimeMs: Date.UTC(2026, 0, 5, 12),
  customerId: 'cust-0000001',
  terminalId: 'term-0000002',
  amount: 12.34,
  amountMinor: 1234,
  currency: 'EUR',
  scenario: FraudScenario.None,
};

const bytesOf = (kind: HostileKind): Buffer =>
  hostileBytes(makeHostileRecord(kind, 'bad-1-0000000000', base), serde as AvroSerde, SCHEMA_ID);

describe('hostileBytes', () => {
  it('writes JSON text, which has no magic byte, for not-wire-format', () => {
    const bytes = bytesOf(HostileKind.NotWireFormat);
    assert.notEqual(bytes[0], 0);
    assert.equal((JSON.parse(bytes.toString('utf8')) as { transaction_id: string }).transaction_id, 'bad-1-0000000000');
  });

  it('frames a valid body with an unregistered schema id', () => {
    const bytes = bytesOf(HostileKind.UnknownSchemaId);
    assert.equal(bytes[0], 0);
    assert.equal(bytes.readUInt32BE(1), UNREGISTERED_SCHEMA_ID);
    assert.equal((type.fromBuffer(bytes.subarray(5)) as { amount: number }).amount, 12.34);
  });

  it('cuts the body so that an Avro reader fails', () => {
    const bytes = bytesOf(HostileKind.TruncatedBody);
    assert.equal(bytes.readUInt32BE(1), SCHEMA_ID);
    assert.throws(() => type.fromBuffer(bytes.subarray(5)));
  });

  it('encodes the field-level defects as valid Avro, so only contract validation can catch them', () => {
    const decoded = (kind: HostileKind): Record<string, unknown> =>
      type.fromBuffer(bytesOf(kind).subarray(5)) as Record<string, unknown>;
    assert.ok(Number.isNaN(decoded(HostileKind.NaNAmount).amount));
    assert.ok((decoded(HostileKind.NegativeAmount).amount as number) < 0);
    assert.equal(decoded(HostileKind.HugeAmount).amount, 1e18);
    assert.equal(decoded(HostileKind.EpochZeroTimestamp).event_time, 0);
    assert.equal(decoded(HostileKind.EmptyTransactionId).transaction_id, '');
    assert.equal(decoded(HostileKind.EmptyCustomerId).customer_id, '');
    for (const kind of HOSTILE_KINDS) assert.ok(bytesOf(kind).length > 0, kind);
  });
});
