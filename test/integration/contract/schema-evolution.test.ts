/**
 * Schema evolution on the input subject, through a running pipeline (real Kafka, Apicurio's ccompat API, Redis, ONNX).
 * The worker reads every record with schemas/transaction.avsc as the reader schema, so the input subject must be
 * FORWARD_TRANSITIVE (every version readable by every older one, the contract among them):
 * (a) every version the registry accepts at that level is scored exactly like v1: one with optional fields added (v2),
 *     one without the fields that have defaults (v0), one with a field without a default added;
 * (b) what the worker could not read is refused by the registry with HTTP 409: a required field removed, `amount`
 *     made nullable, a type changed, and, after a version that drops `channel`, one that brings it back as an int
 *     (FORWARD alone, checking the latest version only, would accept that one); records written with such schemas
 *     under subjects of their own are dead-lettered WRONG_SCHEMA, which is what the refusals prevent;
 * (c) a record written with another subject's schema (the label schema, the score schema) on the input topic is
 *     dead-lettered as WRONG_SCHEMA, not scored, not crashed on;
 * (d) a record whose schema id names a schema the registry accepted but Avro readers refuse (a union default that
 *     does not match the union's first branch: registries accept it unless they validate defaults) is dead-lettered
 *     as WRONG_SCHEMA at once; the worker does not take it for an unreachable registry and wait on it;
 * (e) a worker that may not manage the input and labels subjects refuses to start while they are at BACKWARD (the
 *     level that let upstream remove a field the contract reads), saying why and how to fix it, and starts once they
 *     are at FORWARD_TRANSITIVE;
 * (f) a version with `amount` an int is accepted too (Avro promotes int to double) and scored like v1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { DeadLetterReason } from '../../../src/core/contract/reasons.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import type { Topology } from '../../../src/config/index.js';
import { pinSubjectLevel, registerSchema, transactionSchemaV2, wire } from '../../support/hostile-payloads.js';
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

type Field = { name: string; type: unknown; default?: unknown };

/** The contract transaction schema with its fields changed by `change`. */
function transactionSchemaFields(change: (fields: Field[]) => Field[]): object {
  const v1 = readContractSchema('transaction') as { fields: Field[] };
  return { ...v1, fields: change(v1.fields) };
}

/** v1 without its three optional fields (each has a default): what a producer that never upgraded still writes. */
function transactionSchemaV0(): object {
  const optional = new Set(['channel', 'merchant_category', 'attributes']);
  return transactionSchemaFields((fields) => fields.filter((field) => !optional.has(field.name)));
}

/** v1 with a field that has no default: the contract, which lacks it, reads around it. */
function transactionSchemaWithRequiredField(): object {
  return transactionSchemaFields((fields) => [...fields, { name: 'risk_tier', type: 'string' }]);
}

/** The registry's level of its own for the subject (no default applied). */
async function subjectLevel(subject: string): Promise<string> {
  const response = await fetch(`${STACK.registryUrl}/config/${encodeURIComponent(subject)}`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { compatibilityLevel: string }).compatibilityLevel;
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

  /** A version of the transaction schema, and what it writes besides the fields of v0. */
  interface Version {
    readonly schema: object;
    readonly extras: Record<string, unknown>;
  }

  /**
   * Registers the versions under the input subject, in order, each of which the registry must accept; sends the same
   * 30 payments written with each of them and with v1, and checks that every copy is scored exactly like v1's.
   * Each copy is under customers and terminals of its own, so that every copy has the same history and so the same
   * features. Two days: terminal windows (which end a week back) stay empty and cannot depend on the order in which
   * partitions are read. `whole`: whole amounts only (for an int amount).
   */
  async function assertScoredLikeV1(tag: string, versions: Record<string, Version>, whole = false): Promise<void> {
    const ids: Record<string, number> = {};
    for (const [version, { schema }] of Object.entries(versions)) {
      const registered = await registerSchema(subject, schema);
      assert.equal(registered.status, 200, `${version} accepted: ${registered.body}`);
      ids[version] = registered.id as number;
    }
    const start = Date.now() - 3 * DAY_MS;
    const base = Array.from({ length: 30 }, (_, i) => ({
      event_time: start + i * 90 * 60_000,
      amount: Math.round((13 + ((i * 7919) % 40_000)) * 1.7) / (whole ? 1 : 100),
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
    const v1 = `v1${tag}`;
    const messages = [
      ...copy(v1).map((t) => ({
        id: t.transaction_id,
        key: t.customer_id,
        value: producer.serde.encode(producer.transactionSchemaId, {
          ...t,
          channel: 'pos',
          merchant_category: '5411',
          attributes: {},
        }),
      })),
      ...Object.entries(versions).flatMap(([version, { schema, extras }]) => {
        const type = avro.Type.forSchema(schema as avro.Schema);
        return copy(version).map((t) => ({
          id: t.transaction_id,
          key: t.customer_id,
          value: wire(ids[version]!, type.toBuffer({ ...t, ...extras })),
        }));
      }),
    ];
    // Keyed by customer, like upstream: a customer's payments stay in order on one partition.
    const outcomes = await outcomesOf(messages);

    for (let i = 0; i < base.length; i++) {
      const like = outcomes.get(`${v1}-${i}`)!;
      assert.equal(like.topic, topology.topics.output, `${v1}-${i} scored`);
      for (const version of Object.keys(versions)) {
        const other = outcomes.get(`${version}-${i}`)!;
        const detail = String(other.value['detail']);
        assert.equal(other.topic, topology.topics.output, `${version}-${i} scored, not dead-lettered: ${detail}`);
        assert.deepEqual(other.value['features'], like.value['features'], `${version}-${i}: same features as v1`);
        assert.equal(other.value['score'], like.value['score'], `${version}-${i}: same score`);
        assert.equal(other.value['decision'], like.value['decision']);
        assert.deepEqual(other.value['reason_codes'], like.value['reason_codes']);
        assert.equal(other.value['event_time'], like.value['event_time']);
      }
    }
    // The windows did fill: the copies are compared on real histories, not on 15 zeros.
    const counts = [...outcomes.values()].map(
      (r) => (r.value['features'] as Record<string, number>)['customer_nb_tx_1d']!,
    );
    assert.ok(Math.max(...counts) >= 3, `customer windows hold several payments (max ${Math.max(...counts)})`);
  }

  it('(a) scores records of the versions FORWARD_TRANSITIVE accepts exactly like v1 records', async () => {
    // The pipeline created the subject (the topology manages it) and pinned the level it needs.
    assert.equal(await subjectLevel(subject), 'FORWARD_TRANSITIVE');
    const optional = { channel: 'pos', merchant_category: '5411', attributes: {} };
    await assertScoredLikeV1('a', {
      // Optional fields added.
      v2: {
        schema: transactionSchemaV2(),
        extras: {
          ...optional,
          attributes: { upstream: 'v2' },
          device_id: 'device-7',
          risk_hints: { geo: 'mismatch' },
          tags: ['contactless', 'recurring'],
        },
      },
      // The fields that have defaults removed.
      v0: { schema: transactionSchemaV0(), extras: {} },
      // A field without a default added: the contract reads around it. Last: every later version must keep it.
      required: { schema: transactionSchemaWithRequiredField(), extras: { ...optional, risk_tier: 'high' } },
      // The record moved to another namespace (Avro matches records by their unqualified name), keeping that field.
      moved: {
        schema: { ...transactionSchemaWithRequiredField(), namespace: 'com.acme.payments' },
        extras: { ...optional, risk_tier: 'high' },
      },
    });
  });

  it('(b) refuses with HTTP 409 what the worker could not read, and such records never reach the model', async () => {
    // Changes to upstream's latest version, which has the field without a default that (a) added: every version
    // after it must keep that field.
    const latest = (change: (fields: Field[]) => Field[]) =>
      transactionSchemaFields((fields) => change([...fields, { name: 'risk_tier', type: 'string' }]));
    const retyped = (name: string, type: unknown) =>
      latest((fields) => fields.map((f) => (f.name === name ? { ...f, type } : f)));
    // A version without `channel` (it has a default: every older version reads around it) goes in; a later one that
    // brings `channel` back as an int is read around by that version but cannot be read as the contract: only a
    // transitive level refuses it.
    const dropped = await registerSchema(
      subject,
      latest((fields) => fields.filter((f) => f.name !== 'channel')),
    );
    assert.equal(dropped.status, 200, `channel dropped: ${dropped.body}`);
    const before = await subjectVersions(subject);
    // Each with the field the registry must name as the reason (its position in the contract).
    const incompatible: Record<string, [object, string]> = {
      'the required field currency removed': [
        latest((fields) => fields.filter((f) => f.name !== 'currency')),
        'currency',
      ],
      'amount made nullable': [retyped('amount', ['double', 'null']), 'amount'],
      'amount changed to string': [retyped('amount', 'string'), 'amount'],
      'event_time changed to string': [retyped('event_time', 'string'), 'event_time'],
      'channel back as an int': [retyped('channel', ['null', 'int']), 'channel'],
    };
    const contractFields = (readContractSchema('transaction') as { fields: Field[] }).fields.map((f) => f.name);
    for (const [change, [schema, field]] of Object.entries(incompatible)) {
      const refused = await registerSchema(subject, schema);
      assert.equal(refused.status, 409, `${change}: HTTP ${refused.status} ${refused.body}`);
      assert.equal(refused.id, undefined);
      // Apicurio lists the differences by their place in the reader schema (/fields/<index>).
      assert.ok(refused.body.includes(`/fields/${contractFields.indexOf(field)}`), `${change}: ${refused.body}`);
    }
    assert.deepEqual(await subjectVersions(subject), before, 'the subject has no new version');

    // A producer that goes around the refusals (registers under a subject of its own, writes to the input topic
    // anyway) gets dead letters: none of these can be read as the contract, which is why the registry refuses them.
    const messages: { id: string; key: string; value: Buffer }[] = [];
    const rogueIds = new Map<string, number>();
    for (const [n, [change, [schema]]] of Object.entries(incompatible).entries()) {
      const rogue = await registerSchema(`${topology.topics.input}.rogue-${n}-value`, schema);
      assert.equal(rogue.status, 200, `${change}: ${rogue.body}`);
      const type = avro.Type.forSchema(schema as avro.Schema);
      const fields = (schema as { fields: Field[] }).fields.map((f) => f.name);
      for (let i = 0; i < 3; i++) {
        const id = `rogue-${n}-${i}`;
        rogueIds.set(id, rogue.id as number);
        const value: Record<string, unknown> = {
          transaction_id: id,
          event_time: change.startsWith('event_time') ? 'yesterday' : Date.now() - DAY_MS,
          customer_id: 'rogue-c',
          terminal_id: 'rogue-t',
          amount: change === 'amount changed to string' ? '12.50' : 12.5,
          currency: 'EUR',
          channel: change.startsWith('channel') ? 7 : null,
          merchant_category: null,
          attributes: {},
          risk_tier: 'high',
        };
        const body = type.toBuffer(Object.fromEntries(fields.map((f) => [f, value[f]])));
        messages.push({ id, key: 'rogue-c', value: wire(rogue.id as number, body) });
      }
    }
    const outcomes = await outcomesOf(messages);
    for (const [id, outcome] of outcomes) {
      assert.equal(outcome.topic, topology.topics.deadLetter, `${id} never reaches the model`);
      assert.equal(outcome.value['reason'], DeadLetterReason.WrongSchema, `${id}: ${String(outcome.value['detail'])}`);
      assert.match(String(outcome.value['detail']), new RegExp(`schema ${rogueIds.get(id)}\\b`));
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

  it('(e) refuses to start while input and labels it may not manage are at BACKWARD, and starts at FORWARD_TRANSITIVE', async () => {
    const own = testTopology();
    const unmanaged: Topology = {
      ...own.topology,
      schemaRegistry: { ...own.topology.schemaRegistry, manageSubjects: ['output', 'deadLetter'] },
    };
    const input = `${unmanaged.topics.input}-value`;
    const labels = `${unmanaged.topics.labels}-value`;
    const start = () =>
      createPipeline({
        topology: unmanaged,
        instanceId: 'unmanaged',
        metricsPort: 0,
        log: createLogger({ name: 'test', level: 'silent' }),
      });
    try {
      // Upstream registered the contracts, at the level a registry defaults to elsewhere (Confluent's).
      for (const [subject, schema] of [
        [input, 'transaction'],
        [labels, 'label'],
      ] as const) {
        assert.equal((await registerSchema(subject, readContractSchema(schema))).status, 200);
        await pinSubjectLevel(subject, 'BACKWARD');
      }
      const refused = await start().then(
        async (started) => {
          await started.close();
          return 'started';
        },
        (error: unknown) => String(error instanceof Error ? error.message : error),
      );
      for (const [subject, role] of [
        [input, 'input'],
        [labels, 'labels'],
      ]) {
        const escaped = subject!.replaceAll('.', '\\.');
        assert.match(
          refused,
          new RegExp(
            `schema subject ${escaped} \\(topics\\.${role}\\) has compatibility level BACKWARD, weaker than the ` +
              'FORWARD_TRANSITIVE the pipeline needs there: BACKWARD lets upstream register a version the contract ' +
              'cannot read \\(a field the contract reads removed, or made nullable\\): every record written with it ' +
              `would be dead-lettered WRONG_SCHEMA\\. .*Fix: raise it to FULL_TRANSITIVE .*--data '\\{"compatibility":` +
              `"FULL_TRANSITIVE"\\}' '${STACK.registryUrl.replaceAll('.', '\\.')}/config/${escaped}'\`, or add ${role} ` +
              'to schemaRegistry\\.manageSubjects',
          ),
        );
      }
      assert.equal(await subjectLevel(input), 'BACKWARD', 'a refused start changes nothing');

      for (const subject of [input, labels]) await pinSubjectLevel(subject, 'FORWARD_TRANSITIVE');
      const started = await start();
      await started.close();
      assert.equal(await subjectLevel(input), 'FORWARD_TRANSITIVE', 'accepted as it is');
      assert.equal(await subjectLevel(labels), 'FORWARD_TRANSITIVE');
    } finally {
      await deleteTopics(own.topics);
    }
  });

  it('(f) scores records whose amount is an int, which the contract reads as a double', async () => {
    // Last of all: after this version every later one must keep amount an int (its readers could not read a double).
    await assertScoredLikeV1(
      'f',
      {
        int: {
          schema: transactionSchemaFields((fields) => [
            ...fields.map((f) => (f.name === 'amount' ? { ...f, type: 'int' } : f)),
            { name: 'risk_tier', type: 'string' },
          ]),
          extras: { channel: 'pos', merchant_category: '5411', attributes: {}, risk_tier: 'low' },
        },
      },
      true,
    );
  });
});
