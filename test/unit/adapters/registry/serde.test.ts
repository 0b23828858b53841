import assert from 'node:assert/strict';
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
    assert.equal(registry.requests.get(42), 2, 'asked once when first seen and once after the wait');
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
    // 50 batches over 5 waits: the first look-up, then one after each wait.
    assert.equal(registry.requests.get(77), 5);
  });
});
