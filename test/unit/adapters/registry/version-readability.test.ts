import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readContractSchema } from '../../../../src/adapters/registry/contract-schemas.js';
import { createAvroSerde } from '../../../../src/adapters/registry/serde.js';
import {
  unreadableVersionMessage,
  unreadableVersions,
  type RegisteredVersion,
} from '../../../../src/adapters/registry/version-readability.js';
import { DeadLetterReason } from '../../../../src/core/contract/reasons.js';
import { startStubRegistry, type StubRegistry } from '../../../support/stub-registry.js';

const TRANSACTION = readContractSchema('transaction') as { name: string; namespace?: string; fields: Field[] };
type Field = { name: string; type: unknown; default?: unknown };

/** The contract transaction schema with its fields changed by `change`. */
function transactionWith(change: (fields: Field[]) => Field[], rest: object = {}): object {
  return { ...TRANSACTION, ...rest, fields: change(TRANSACTION.fields) };
}

const amountAsString = transactionWith((fields) =>
  fields.map((f) => (f.name === 'amount' ? { ...f, type: 'string' } : f)),
);
const withoutCurrency = transactionWith((fields) => fields.filter((f) => f.name !== 'currency'));
const withOptionalField = transactionWith((fields) => [
  ...fields,
  { name: 'device', type: ['null', 'string'], default: null },
]);
const movedNamespace = transactionWith((fields) => fields, { namespace: 'com.upstream.payments' });
/** Registries accept it unless they validate defaults; avsc refuses to build it (the default is not the first branch). */
const badUnionDefault = transactionWith((fields) => [
  ...fields,
  { name: 'note', type: ['null', 'string'], default: 'x' },
]);

function avroVersion(version: number, id: number, schema: unknown): RegisteredVersion {
  return { version, id, schema: JSON.stringify(schema) };
}

describe('unreadableVersions: the versions of a read subject the contract cannot read', () => {
  it('finds none among versions the contract reads: itself, an optional field added, the record moved to another namespace', () => {
    const found = unreadableVersions(TRANSACTION, [
      avroVersion(1, 10, TRANSACTION),
      avroVersion(2, 11, withOptionalField),
      avroVersion(3, 12, movedNamespace),
    ]);
    assert.deepEqual(found, []);
  });

  it('names each unreadable Avro version with its id and the field avsc gives, in the order given', () => {
    const found = unreadableVersions(TRANSACTION, [
      avroVersion(1, 21, amountAsString),
      avroVersion(2, 22, TRANSACTION),
      avroVersion(3, 23, withoutCurrency),
    ]);
    assert.deepEqual(
      found.map(({ version, id }) => ({ version, id })),
      [
        { version: 1, id: 21 },
        { version: 3, id: 23 },
      ],
    );
    assert.equal(
      found[0]!.reason,
      'schema 21 (fraudscore.v1.Transaction) cannot be read as fraudscore.v1.Transaction: cannot read "string" as ' +
        '"double" (at field amount)',
    );
    assert.equal(
      found[1]!.reason,
      'schema 23 (fraudscore.v1.Transaction) cannot be read as fraudscore.v1.Transaction: no matching field for ' +
        'default-less fraudscore.v1.Transaction.currency',
    );
  });

  it('reports versions of another schema type as unreadable, saying which type', () => {
    const found = unreadableVersions(TRANSACTION, [
      { version: 1, id: 31, schemaType: 'JSON', schema: '{"type":"object"}' },
      { version: 2, id: 32, schemaType: 'PROTOBUF', schema: 'syntax = "proto3"; message T { string id = 1; }' },
      { version: 3, id: 33, schemaType: 'AVRO', schema: JSON.stringify(TRANSACTION) },
    ]);
    assert.deepEqual(
      found.map((f) => f.reason),
      [
        'schema 31 is a JSON Schema, not Avro: the topic takes Avro records of fraudscore.v1.Transaction',
        'schema 32 is a Protobuf schema, not Avro: the topic takes Avro records of fraudscore.v1.Transaction',
      ],
    );
  });

  it('reports a schema that is not a record, and one avsc cannot build', () => {
    const found = unreadableVersions(TRANSACTION, [avroVersion(1, 41, 'string'), avroVersion(2, 42, badUnionDefault)]);
    assert.equal(found.length, 2);
    assert.equal(
      found[0]!.reason,
      'schema 41 is a `string` schema, not a record: the topic takes Avro records of fraudscore.v1.Transaction',
    );
    assert.match(found[1]!.reason, /^schema id 42 is in the registry but cannot read Avro: .*; the producer must/);
  });

  it('leaves out versions that reference other subjects: built alone they would look unreadable when they are not', () => {
    const found = unreadableVersions(TRANSACTION, [
      { ...avroVersion(1, 51, amountAsString), references: [{ name: 'x.Money', subject: 'money', version: 1 }] },
    ]);
    assert.deepEqual(found, []);
  });

  it('reads the labels contract too: a label version is checked against the label schema', () => {
    const label = readContractSchema('label');
    assert.deepEqual(unreadableVersions(label, [avroVersion(1, 61, label)]), []);
    const found = unreadableVersions(label, [avroVersion(2, 62, TRANSACTION)]);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.version, 2);
  });
});

describe('unreadableVersions gives the reason decoding gives: one code path', () => {
  let registry: StubRegistry;
  before(async () => {
    registry = await startStubRegistry({
      71: amountAsString,
      72: withoutCurrency,
      73: 'string',
      74: { schemaType: 'JSON', schema: '{"type":"object"}' },
      75: badUnionDefault,
    });
  });
  after(() => registry.close());

  it('each reason is the detail of the WRONG_SCHEMA dead letter a record written with the version gets', async () => {
    const serde = createAvroSerde({ url: registry.url });
    const schemaType = (id: number) => (id === 74 ? 'JSON' : undefined);
    const versions: RegisteredVersion[] = [71, 72, 73, 74, 75].map((id, i) => {
      const held = registry.schemas.get(id)!;
      const schema = typeof held === 'object' && 'schemaType' in held ? held.schema : JSON.stringify(held);
      const kind = schemaType(id);
      return { version: i + 1, id, schema, ...(kind ? { schemaType: kind } : {}) };
    });
    const found = unreadableVersions(TRANSACTION, versions);
    assert.equal(found.length, versions.length);
    for (const { id, reason } of found) {
      // The header is all decoding looks at before it refuses the writer schema.
      const bytes = Buffer.from([0, 0, 0, 0, id, 0]);
      await serde.prepare([bytes]);
      const decoded = serde.decodeSync(bytes, TRANSACTION);
      assert.equal(decoded.ok ? 'ok' : decoded.reason, DeadLetterReason.WrongSchema, `schema ${id}`);
      assert.equal(decoded.ok ? '' : decoded.detail, reason, `schema ${id}`);
    }
  });
});

describe('unreadableVersionMessage', () => {
  it('names subject, role, version, schema id, the reason and the consequence, and how to clear it', () => {
    const text = unreadableVersionMessage('payments.in-value', 'input', {
      version: 3,
      id: 17,
      reason: 'schema 17 (fraudscore.v1.Transaction) cannot be read as fraudscore.v1.Transaction: bad amount',
    });
    assert.match(text, /^schema subject payments\.in-value \(topics\.input\) holds version 3 \(schema id 17\)/);
    assert.match(text, /cannot be read as fraudscore\.v1\.Transaction: bad amount\./);
    assert.match(text, /Records written with it are dead-lettered WRONG_SCHEMA\./);
    assert.match(text, /DELETE \/subjects\/payments\.in-value\/versions\/3/);
  });
});
