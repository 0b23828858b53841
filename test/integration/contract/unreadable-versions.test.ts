/**
 * The start-up check of the versions a read subject already holds, against the real registry (Apicurio's Confluent
 * API), Kafka and Redis. A transitive level checks each new version against the ones before it only, so a version
 * registered while the level was weaker was never checked against the contract:
 * (a) a worker starting on such an input subject warns, naming subject, version, schema id, the field avsc gives and
 *     the consequence, and its fraudscore_unreadable_schema_versions gauge counts it; it starts all the same, and a
 *     record written with that version is dead-lettered WRONG_SCHEMA with the reason the warning gave;
 * (b) a subject whose versions the contract all reads (here the labels subject) gets no warning and a gauge at 0;
 * (c) a version registered while the worker runs is warned about and counted at the next check, and once deleted from
 *     the subject (Apicurio's ccompat DELETE, as the warning says) it is no longer counted and the log says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { DeadLetterReason } from '../../../src/core/contract/reasons.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { watchUnreadableVersions } from '../../../src/runtime/contract-subjects.js';
import { capturedOutput } from '../../support/captured-output.js';
import { waitFor } from '../../support/wait-for.js';
import { connectTestRedis, deleteKeys } from '../../support/redis.js';
import { mustRegister, pinSubjectLevel, transactionSchemaWith, wire } from '../../support/hostile-payloads.js';
import {
  deleteTopics,
  readCommitted,
  STACK,
  testProducer,
  testTopology,
  type TestProducer,
} from '../../support/stack.js';

describe('start-up check of the versions a read subject holds', () => {
  const { topology, topics } = testTopology({ maxRecords: 50, maxWaitMs: 300 });
  const input = `${topology.topics.input}-value`;
  const labels = `${topology.topics.labels}-value`;
  const contract = readContractSchema('transaction');
  const amountNullable = transactionSchemaWith('amount', ['null', 'double']);
  const workerOutput = capturedOutput();
  const lines = () => workerOutput.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  let pipeline: PipelineContext;
  let producer: TestProducer;
  let oldId: number;

  before(async () => {
    // Upstream registered the contract, then, while the subject was at BACKWARD (which checks that a new version
    // reads the old data, not the reverse), a version with `amount` made nullable, and raised the level afterwards:
    // FORWARD_TRANSITIVE checks only versions registered from then on. (Not a version registered at NONE before the
    // contract: Apicurio takes a subject's NONE as "no rule of its own" and applies its default, FORWARD_TRANSITIVE
    // on the local stack, which refuses the contract after it.)
    await mustRegister(input, contract);
    await pinSubjectLevel(input, 'BACKWARD');
    oldId = await mustRegister(input, amountNullable);
    await pinSubjectLevel(input, 'FORWARD_TRANSITIVE');
    await mustRegister(labels, readContractSchema('label'));
    await pinSubjectLevel(labels, 'FORWARD_TRANSITIVE');

    pipeline = await createPipeline({
      topology,
      instanceId: 'unreadable-versions',
      metricsPort: 0,
      log: createLogger({ name: 'test', level: 'warn', destination: workerOutput.stream }),
    });
    void pipeline.runner.start();
    producer = await testProducer(topology);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
    const redis = connectTestRedis();
    await deleteKeys(redis, topology.redis.keyPrefix);
    redis.disconnect();
  });

  async function gauge(subject: string): Promise<number | undefined> {
    const metric = await pipeline.metrics.unreadableSchemaVersions.get();
    return metric.values.find((v) => v.labels['subject'] === subject)?.value;
  }

  it('(a) warns about the version the contract cannot read, counts it, starts, and dead-letters its records', async () => {
    const warnings = lines().filter((l) => l['subject'] === input && l['version'] !== undefined);
    assert.equal(warnings.length, 1, workerOutput.text());
    const [warning] = warnings as [Record<string, unknown>];
    assert.equal(warning['level'], 40);
    assert.equal(warning['version'], 2);
    assert.equal(warning['schemaId'], oldId);
    const reason = String(warning['reason']);
    assert.match(reason, /\(at field amount\)$/);
    const msg = String(warning['msg']);
    assert.ok(
      msg.startsWith(`schema subject ${input} (topics.input) holds version 2 (schema id ${oldId}), which the contract`),
      msg,
    );
    assert.ok(msg.includes(reason), msg);
    assert.match(msg, /Records written with it are dead-lettered WRONG_SCHEMA\./);
    assert.equal(await gauge(input), 1);

    // The warning tells the truth: a record written with that version is dead-lettered, with the reason it gave.
    const body = avro.Type.forSchema(amountNullable as avro.Schema).toBuffer({
      transaction_id: 'old-version-1',
      event_time: Date.now() - 60_000,
      customer_id: 'c-old',
      terminal_id: 't-old',
      amount: 12.5,
      currency: 'EUR',
      channel: null,
      merchant_category: null,
      attributes: {},
    });
    await producer.send(topology.topics.input, [{ key: 'c-old', value: wire(oldId, body) }]);
    const [letter] = await readCommitted([topology.topics.deadLetter], (records) => records.length >= 1, 60_000);
    assert.equal(letter!.value['reason'], DeadLetterReason.WrongSchema);
    assert.equal(letter!.value['detail'], reason);
  });

  it('(b) says nothing about a subject whose versions the contract all reads, and counts none', async () => {
    assert.deepEqual(
      lines().filter((l) => l['subject'] === labels),
      [],
    );
    assert.equal(await gauge(labels), 0);
  });

  it('(c) a version registered while the worker runs is warned about at the next check, and uncounted once deleted', async () => {
    // A watch of its own over the same subjects and the real registry, checking every 200 ms (a worker's: 5 minutes).
    const output = capturedOutput();
    const seen = () => output.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    const counts = new Map<string, number>();
    const watch = await watchUnreadableVersions(topology, {
      log: createLogger({ name: 'test', level: 'info', destination: output.stream }),
      count: (subject, n) => counts.set(subject, n),
      intervalMs: 200,
    });
    const until = (what: string, done: () => boolean) =>
      waitFor(what, () => Promise.resolve(done() ? true : undefined), 15_000);
    try {
      assert.equal(counts.get(labels), 0);
      const label = readContractSchema('label') as { fields: { name: string }[] };
      const isFraudNullable = {
        ...label,
        fields: label.fields.map((f) => (f.name === 'is_fraud' ? { ...f, type: ['null', 'boolean'] } : f)),
      };
      await pinSubjectLevel(labels, 'BACKWARD');
      const id = await mustRegister(labels, isFraudNullable);
      await pinSubjectLevel(labels, 'FORWARD_TRANSITIVE');

      await until('the new version counted', () => counts.get(labels) === 1);
      const warned = seen().filter((l) => l['subject'] === labels && l['level'] === 40);
      assert.deepEqual(
        warned.map((l) => [l['version'], l['schemaId']]),
        [[2, id]],
      );
      assert.match(String(warned[0]!['reason']), /\(at field is_fraud\)$/);
      assert.match(String(warned[0]!['msg']), new RegExp(`DELETE /subjects/${labels}/versions/2\\)$`));

      // The fix the warning names, on the real registry.
      const deleted = await fetch(`${STACK.registryUrl}/subjects/${encodeURIComponent(labels)}/versions/2`, {
        method: 'DELETE',
      });
      assert.equal(deleted.status, 200, await deleted.text());
      await until('the deleted version uncounted', () => counts.get(labels) === 0);
      const cleared = seen().filter((l) => l['subject'] === labels && l['level'] === 30);
      assert.deepEqual(
        cleared.map((l) => [l['version'], l['schemaId']]),
        [[2, id]],
      );
      assert.match(String(cleared[0]!['msg']), /no longer lists version 2 .* it is no longer counted$/);
      // The input subject's version, there all along, is neither warned about again nor uncounted.
      assert.equal(counts.get(input), 1);
      assert.equal(seen().filter((l) => l['subject'] === input).length, 1);
    } finally {
      await watch.stop();
    }
  });
});
