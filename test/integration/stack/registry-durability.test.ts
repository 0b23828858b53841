/**
 * The local stack's registry remembers what Kafka remembers. Records in Kafka name their schemas by id; after the
 * registry and Kafka stop and start again (`stack.sh down` / `up`), and after a restart of either alone, every id names
 * the same schema as before, no newcomer takes an old id, and a Confluent consumer reading the topic from the beginning
 * decodes every record as it was written. On a stack instance of this test's own, with the stack's default storage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { Partitioners } from 'kafkajs';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { startOwnStack, type OwnStack } from '../../support/own-stack.js';
import { uniqueName } from '../../support/stack.js';

interface Written {
  readonly id: number;
  readonly schema: object;
  readonly value: Record<string, unknown>;
}

/** v1 of the transaction contract plus an optional field: a second version under the same subject. */
function transactionV2(): object {
  const v1 = readContractSchema('transaction') as { fields: object[] };
  return { ...v1, fields: [...v1.fields, { name: 'device_id', type: ['null', 'string'], default: null }] };
}

function fingerprint(schema: object | string): string {
  const parsed = typeof schema === 'string' ? (JSON.parse(schema) as avro.Schema) : (schema as avro.Schema);
  return avro.Type.forSchema(parsed).fingerprint().toString('hex');
}

describe('registry durability across stack restarts', () => {
  let stack: OwnStack;
  const topic = uniqueName('durable');
  const written: Written[] = [];

  before(async () => {
    stack = await startOwnStack(['kafka', 'registry']);
    await stack.createTopic(topic, 1);
  });

  after(async () => {
    await stack?.stop();
  });

  /** The ids and schemas are what they were, and a fresh Confluent consumer decodes every record from the start. */
  async function assertRemembered(): Promise<void> {
    for (const { id, schema } of written) {
      const response = await fetch(`${stack.registryUrl}/schemas/ids/${id}`);
      const text = await response.text();
      assert.equal(response.status, 200, `schema id ${id}: ${text}`);
      assert.equal(fingerprint((JSON.parse(text) as { schema: string }).schema), fingerprint(schema), `id ${id}`);
    }
    const registry = new SchemaRegistry({ host: stack.registryUrl });
    const consumer = stack.kafka().consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    const decoded: unknown[] = [];
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${decoded.length} of ${written.length}`)), 60_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            try {
              decoded.push(await registry.decode(message.value as Buffer));
            } catch (error) {
              clearTimeout(timer);
              reject(error as Error);
              return;
            }
            if (decoded.length === written.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    // Fields the writer schema adds with defaults (a newer contract) decode too: compare the fields written.
    assert.deepEqual(
      decoded.map((value, i) => {
        const plain = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
        const keys = Object.keys(written[i]?.value ?? {});
        return Object.fromEntries(keys.map((key) => [key, plain[key]]));
      }),
      written.map(({ value }) => value),
    );
  }

  /**
   * An upstream producer: registers as Confluent's serializers do (POST /subjects/<subject>/versions, nothing else;
   * this client library's own register() refuses a second version on Apicurio, whose subject config reads NONE), then
   * writes wire-format records with the Confluent client.
   */
  async function produce(subject: string, schema: object, value: Record<string, unknown>): Promise<number> {
    const response = await fetch(`${stack.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(schema) }),
    });
    const body = await response.text();
    assert.equal(response.status, 200, `registering under ${subject}: ${body}`);
    const { id } = JSON.parse(body) as { id: number };
    const registry = new SchemaRegistry({ host: stack.registryUrl });
    const producer = stack.kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: null, value: await registry.encode(id, value) }] });
    await producer.disconnect();
    written.push({ id, schema, value });
    return id;
  }

  const transaction = {
    transaction_id: 'tx-1',
    event_time: Date.UTC(2026, 0, 5),
    customer_id: 'c-1',
    terminal_id: 't-1',
    amount: 12.5,
    currency: 'EUR',
    channel: null,
    merchant_category: null,
    attributes: {},
  };

  it('keeps every schema id across stack down/up, and a newcomer gets a new id', async () => {
    await produce(`${topic}-value`, readContractSchema('transaction'), transaction);
    await produce(`${topic}-value`, transactionV2(), { ...transaction, transaction_id: 'tx-2', device_id: 'd-9' });
    await produce(`${topic}-labels-value`, readContractSchema('label'), {
      transaction_id: 'tx-1',
      reported_at: Date.UTC(2026, 0, 9),
      is_fraud: true,
    });
    assert.equal(new Set(written.map((w) => w.id)).size, 3, 'three schemas, three ids');
    await assertRemembered();

    await stack.stack('down');
    await stack.stack('up', 'kafka', 'registry');
    // Whatever registers first after the restart must not be handed an id the records in Kafka already use.
    const newcomer = await produce(`${topic}-other-value`, readContractSchema('score'), scoreValue());
    assert.ok(
      written.slice(0, 3).every((w) => w.id !== newcomer),
      `new id ${newcomer}`,
    );
    await assertRemembered();
  });

  it('keeps them across a restart of the registry alone, then of Kafka alone', async () => {
    await stack.stack('restart', 'registry');
    await assertRemembered();
    await stack.stack('restart', 'kafka');
    await produce(`${topic}-value`, readContractSchema('transaction'), { ...transaction, transaction_id: 'tx-3' });
    await assertRemembered();
  });
});

/** A score record as the pipeline writes one (any valid value of schemas/score.avsc would do). */
function scoreValue(): Record<string, unknown> {
  return {
    transaction_id: 'tx-1',
    event_time: Date.UTC(2026, 0, 5),
    scored_at: Date.UTC(2026, 0, 5, 0, 0, 1),
    score: 0.25,
    decision: 'APPROVE',
    model_name: 'card-fraud',
    model_version: '1',
    feature_schema_version: 'f',
    features: { amount: 12.5 },
    reason_codes: [],
    shadow_scores: {},
    batch_id: 'b-1',
    source_partition: 0,
    source_offset: 0,
  };
}
