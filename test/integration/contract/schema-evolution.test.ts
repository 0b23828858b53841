/**
 * Schema evolution on the input subject, through a running pipeline (real Kafka, Apicurio's ccompat API, Redis, ONNX):
 * (a) records written with a BACKWARD-compatible v2 of schemas/transaction.avsc (and with an older v0) are scored
 *     exactly like v1 records;
 * (b) incompatible registrations are refused by the registry with HTTP 409 (the pipeline sets BACKWARD on its input
 *     subject at start-up), and records written with such a schema under another subject never reach the model;
 * (c) a record written with another subject's schema (the label schema, the score schema) on the input topic is
 *     dead-lettered as WRONG_SCHEMA, not scored, not crashed on;
 * (d) a record whose schema id names a schema the registry accepted but Avro readers refuse (a union default that
 *     does not match the union's first branch: registries accept it unless they validate defaults) is dead-lettered
 *     as WRONG_SCHEMA at once; the worker does not take it for an unreachable registry and wait on it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { DeadLetterReason } from '../../../src/core/contract/reasons.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { registerSchema, transactionSchemaV2, transactionSchemaWith, wire } from '../../support/hostile-payloads.js';
import {
  STACK,
  deleteTopics,
  readCommitted,
  testProducer,
  testTopology,
  type ReadRecord,
  type TestProducer,
} from '../../support/stack.js';

const DAY_MS = 86_400_000;

interface Transaction {
  transaction_id: string;
  event_time: number;
  customer_id: string;
  terminal_id: string;
  amount: number;
  currency: string;
}

/** v1 without its three optional fields: what a producer that never upgraded still writes. */
function transactionSchemaV0(): object {
  const v1 = readContractSchema('transaction') as { fields: { name: string }[] };
  const optional = new Set(['channel', 'merchant_category', 'attributes']);
  return { ...v1, fields: v1.fields.filter((field) => !optional.has(field.name)) };
}

async function subjectVersions(subject: string): Promise<number[]> {
  const response = await fetch(`${STACK.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`);
  assert.equal(response.status, 200);
  return (await response.json()) as number[];
}

describe('schema evolution of the input subject', () => {
  const { topology, topics } = testTopology({ maxRecords: 200, maxWaitMs: 300 });
  const subject = `${topology.topics.input}-value`;
  let pipeline: PipelineContext;
  let producer: TestProducer;

  /**
   * Sends the values (keyed as given) and returns the committed outcome, score or dead letter, of each by its id.
   * Values are told apart by their bytes, which are all distinct.
   */
  async function outcomesOf(messages: { id: string; key: string; value: Buffer }[]): Promise<Map<string, ReadRecord>> {
    await producer.send(
      topology.topics.input,
      messages.map(({ key, value }) => ({ key, value })),
    );
    const idOf = new Map(messages.map((m) => [m.value.toString('hex'), m.id]));
    assert.equal(idOf.size, messages.length, 'distinct values');
    const mine = (r: ReadRecord) => r.raw !== null && idOf.has(r.raw.toString('hex'));
    const inputs = (
      await readCommitted([topology.topics.input], (records) => records.filter(mine).length >= idOf.size, 30_000, {
        raw: true,
      })
    ).filter(mine);
    assert.equal(inputs.length, idOf.size, 'every record was written once');
    const idAt = new Map(
      inputs.map((r) => [`${r.partition}@${r.offset}`, idOf.get((r.raw as Buffer).toString('hex'))!]),
    );
    const positionOf = (r: ReadRecord) => `${String(r.value['source_partition'])}@${String(r.value['source_offset'])}`;
    const fromInput = (r: ReadRecord) =>
      idAt.has(positionOf(r)) &&
      (r.topic === topology.topics.output || r.value['source_topic'] === topology.topics.input);
    const outputs = (
      await readCommitted(
        [topology.topics.output, topology.topics.deadLetter],
        (records) => records.filter(fromInput).length >= idOf.size,
        60_000,
        { settleMs: 500 },
      )
    ).filter(fromInput);
    const byId = new Map<string, ReadRecord>();
    for (const record of outputs) {
      const id = idAt.get(positionOf(record))!;
      assert.ok(!byId.has(id), `${id}: more than one outcome`);
      byId.set(id, record);
    }
    assert.equal(byId.size, idOf.size, 'every record has an outcome');
    return byId;
  }

  /** A valid v1 transaction of the customer, sent after rejected records: it must still be scored. */
  function v1Transaction(id: string, customerId: string): { id: string; key: string; value: Buffer } {
    const value = producer.serde.encode(producer.transactionSchemaId, {
      transaction_id: id,
      event_time: Date.now() - DAY_MS,
      customer_id: customerId,
      terminal_id: 'after-t',
      amount: 10,
      currency: 'EUR',
      channel: null,
      merchant_category: null,
      attributes: {},
    });
    return { id, key: customerId, value };
  }

  before(async () => {
    pipeline = await createPipeline({
      topology,
      instanceId: 'evolution',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'warn' }),
    });
    void pipeline.runner.start();
    producer = await testProducer(topology);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
  });

  it('(a) scores records of a BACKWARD-compatible v2, and of an older v0, exactly like v1 records', async () => {
    const config = await fetch(`${STACK.registryUrl}/config/${encodeURIComponent(subject)}`);
    assert.equal(((await config.json()) as { compatibilityLevel: string }).compatibilityLevel, 'BACKWARD');

    const v2 = await registerSchema(subject, transactionSchemaV2());
    assert.equal(v2.status, 200, `v2 accepted: ${v2.body}`);
    const v0 = await registerSchema(subject, transactionSchemaV0());
    assert.equal(v0.status, 200, `v0 accepted: ${v0.body}`);
    assert.equal(new Set([producer.transactionSchemaId, v2.id, v0.id]).size, 3, 'three schemas, three ids');
    const v2Type = avro.Type.forSchema(transactionSchemaV2() as avro.Schema);
    const v0Type = avro.Type.forSchema(transactionSchemaV0() as avro.Schema);

    // The same 30 payments three times over, each copy under customers and terminals of its own, so that every copy
    // has the same history and so the same features. Two days: terminal windows (which end a week back) stay empty
    // and cannot depend on the order in which partitions are read.
    const start = Date.now() - 3 * DAY_MS;
    const base = Array.from({ length: 30 }, (_, i) => ({
      event_time: start + i * 90 * 60_000,
      amount: Math.round((13 + ((i * 7919) % 40_000)) * 1.7) / 100,
      currency: 'EUR',
      customer: i % 6,
      terminal: i % 4,
    }));
    const copy = (version: string): Transaction[] =>
      base.map((b, i) => ({
        transaction_id: `${version}-${i}`,
        event_time: b.event_time,
        customer_id: `${version}-c${b.customer}`,
        terminal_id: `${version}-t${b.terminal}`,
        amount: b.amount,
        currency: b.currency,
      }));
    const messages = [
      ...copy('v1').map((t) => ({
        id: t.transaction_id,
        key: t.customer_id,
        value: producer.serde.encode(producer.transactionSchemaId, {
          ...t,
          channel: 'pos',
          merchant_category: '5411',
          attributes: {},
        }),
      })),
      ...copy('v2').map((t) => ({
        id: t.transaction_id,
        key: t.customer_id,
        value: wire(
          v2.id as number,
          v2Type.toBuffer({
            ...t,
            channel: 'pos',
            merchant_category: '5411',
            attributes: { upstream: 'v2' },
            device_id: 'device-7',
            risk_hints: { geo: 'mismatch' },
            tags: ['contactless', 'recurring'],
          }),
        ),
      })),
      ...copy('v0').map((t) => ({
        id: t.transaction_id,
        key: t.customer_id,
        value: wire(v0.id as number, v0Type.toBuffer(t)),
      })),
    ];
    // Keyed by customer, like upstream: a customer's payments stay in order on one partition.
    const outcomes = await outcomesOf(messages);

    for (let i = 0; i < base.length; i++) {
      const v1 = outcomes.get(`v1-${i}`)!;
      assert.equal(v1.topic, topology.topics.output, `v1-${i} scored`);
      for (const version of ['v2', 'v0']) {
        const other = outcomes.get(`${version}-${i}`)!;
        assert.equal(other.topic, topology.topics.output, `${version}-${i} scored, not dead-lettered`);
        assert.deepEqual(other.value['features'], v1.value['features'], `${version}-${i}: same features as v1-${i}`);
        assert.equal(other.value['score'], v1.value['score'], `${version}-${i}: same score`);
        assert.equal(other.value['decision'], v1.value['decision']);
        assert.deepEqual(other.value['reason_codes'], v1.value['reason_codes']);
        assert.equal(other.value['event_time'], v1.value['event_time']);
      }
    }
    // The windows did fill: the copies are compared on real histories, not on 15 zeros.
    const counts = [...outcomes.values()].map(
      (r) => (r.value['features'] as Record<string, number>)['customer_nb_tx_1d']!,
    );
    assert.ok(Math.max(...counts) >= 3, `customer windows hold several payments (max ${Math.max(...counts)})`);
  });

  it('(b) refuses incompatible registrations with HTTP 409, and their records never reach the model', async () => {
    const before = await subjectVersions(subject);
    const requiredWithoutDefault = readContractSchema('transaction') as { fields: object[] };
    const incompatible = {
      'a new required field without a default': {
        ...requiredWithoutDefault,
        fields: [...requiredWithoutDefault.fields, { name: 'risk_tier', type: 'string' }],
      },
      'amount changed to string': transactionSchemaWith('amount', 'string'),
      'event_time changed to string': transactionSchemaWith('event_time', 'string'),
    };
    for (const [change, schema] of Object.entries(incompatible)) {
      const refused = await registerSchema(subject, schema);
      assert.equal(refused.status, 409, `${change}: HTTP ${refused.status} ${refused.body}`);
      assert.equal(refused.id, undefined);
    }
    assert.deepEqual(await subjectVersions(subject), before, 'the subject has no new version');

    // A producer that goes around the refusal (registers under a subject of its own, writes to the input topic
    // anyway) gets dead letters: the pipeline reads the input topic as the contract's schema, which a string
    // amount is not.
    const rogue = await registerSchema(
      `${topology.topics.input}.rogue-value`,
      incompatible['amount changed to string'],
    );
    assert.equal(rogue.status, 200);
    const rogueType = avro.Type.forSchema(incompatible['amount changed to string'] as avro.Schema);
    const messages = Array.from({ length: 10 }, (_, i) => ({
      id: `rogue-${i}`,
      key: 'rogue-c',
      value: wire(
        rogue.id as number,
        rogueType.toBuffer({
          transaction_id: `rogue-${i}`,
          event_time: Date.now() - DAY_MS,
          customer_id: 'rogue-c',
          terminal_id: 'rogue-t',
          amount: '12.50',
          currency: 'EUR',
          channel: null,
          merchant_category: null,
          attributes: {},
        }),
      ),
    }));
    const outcomes = await outcomesOf(messages);
    for (const [id, outcome] of outcomes) {
      assert.equal(outcome.topic, topology.topics.deadLetter, `${id} never reaches the model`);
      assert.equal(outcome.value['reason'], DeadLetterReason.WrongSchema);
      assert.match(String(outcome.value['detail']), new RegExp(`schema ${rogue.id}`));
    }
  });

  it("(c) dead-letters a record written with another subject's schema as WRONG_SCHEMA", async () => {
    const score = await registerSchema(`${topology.topics.output}-value`, readContractSchema('score'));
    const scoreType = avro.Type.forSchema(readContractSchema('score') as avro.Schema);
    const messages = [
      ...Array.from({ length: 10 }, (_, i) => ({
        id: `label-${i}`,
        key: `tx-${i}`,
        value: producer.serde.encode(producer.labelSchemaId, {
          transaction_id: `tx-${i}`,
          is_fraud: i % 2 === 0,
          reported_at: Date.now() - DAY_MS,
        }),
      })),
      {
        id: 'score-0',
        key: 'tx-0',
        value: wire(
          score.id as number,
          scoreType.toBuffer({
            transaction_id: 'tx-0',
            event_time: Date.now() - DAY_MS,
            scored_at: Date.now(),
            score: 0.5,
            decision: 'REVIEW',
            model_name: 'm',
            model_version: '1',
            feature_schema_version: 'x',
            features: {},
            reason_codes: [],
            shadow_scores: {},
            batch_id: 'b',
            source_partition: 0,
            source_offset: 0,
          }),
        ),
      },
    ];
    const outcomes = await outcomesOf(messages);
    for (const [id, outcome] of outcomes) {
      assert.equal(outcome.topic, topology.topics.deadLetter, `${id} is dead-lettered`);
      assert.equal(outcome.value['reason'], DeadLetterReason.WrongSchema, `${id}: ${String(outcome.value['detail'])}`);
      const writer = id.startsWith('label') ? 'fraudscore.v1.Label' : 'fraudscore.v1.Score';
      assert.match(
        String(outcome.value['detail']),
        new RegExp(`${writer.replaceAll('.', '\\.')}\\) cannot be read as`),
      );
      // The bytes are kept, for whoever fixes the producer.
      assert.ok(Buffer.isBuffer(outcome.value['original_value']));
    }
    // The pipeline is still running and scoring: a v1 record after them is scored.
    const after = await outcomesOf([v1Transaction('after-0', 'after-c')]);
    assert.equal(after.get('after-0')?.topic, topology.topics.output);
  });

  it('(d) dead-letters a record written with a schema the registry holds but Avro cannot read as WRONG_SCHEMA', async () => {
    const unreadable = {
      type: 'record',
      name: 'UnreadableTransaction',
      namespace: 'upstream.v9',
      fields: [
        { name: 'transaction_id', type: 'string' },
        { name: 'channel', type: ['null', 'string'], default: 'web' },
      ],
    };
    const registered = await registerSchema(`${topology.topics.input}-unreadable-value`, unreadable);
    assert.equal(registered.status, 200, `the registry accepts it: ${registered.body}`);
    const body = Buffer.concat([Buffer.from([2 * 'tx-u'.length]), Buffer.from('tx-u'), Buffer.from([0])]);
    const outcomes = await outcomesOf([
      { id: 'unreadable', key: 'unreadable-c', value: wire(registered.id as number, body) },
      v1Transaction('after-d', 'after-d'),
    ]);
    const outcome = outcomes.get('unreadable')!;
    assert.equal(outcome.topic, topology.topics.deadLetter);
    assert.equal(outcome.value['reason'], DeadLetterReason.WrongSchema);
    assert.match(
      String(outcome.value['detail']),
      new RegExp(`schema id ${registered.id} is in the registry but cannot read Avro`),
    );
    assert.equal(outcomes.get('after-d')?.topic, topology.topics.output);
  });
});
