import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { StartupError, StartupErrorCode } from '../../../src/runtime/startup-errors.js';
import { validEvents } from '../../support/events.js';
import { assertAllScoresFinite, assertExactlyOneOutcome, assertTraceable } from '../../support/invariants.js';
import { secureTopology, startSecureStack, type SecureStack } from '../../support/secure-stack.js';
import { deleteTopics, readCommitted, testProducer, type TestProducer } from '../../support/stack.js';

/**
 * The pipeline against a broker whose only client listener is SASL_SSL (SCRAM-SHA-512 over TLS, throw-away CA):
 * consume, score, and the transactional publish with sendOffsets, all over the secured listener. Redis is the ACL
 * one of the secure stack; the registry is the plain local stack's.
 */
describe('Kafka over SASL_SSL (SCRAM-SHA-512, TLS)', () => {
  let stack: SecureStack;
  let producer: TestProducer | undefined;
  let pipeline: PipelineContext | undefined;
  const topicsToDelete: string[] = [];

  before(async () => {
    stack = await startSecureStack(['kafka', 'redis']);
    process.stdout.write(`# secure kafka + redis up in ${stack.startSeconds.toFixed(1)} s\n`);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    if (stack) {
      if (topicsToDelete.length > 0) await deleteTopics(topicsToDelete, stack.kafkaClient()).catch(() => undefined);
      await stack.stop();
    }
  });

  it('scores N events into N outputs, read back over the secured listener', async () => {
    const { topology, topics } = secureTopology(stack, { overrides: { maxRecords: 250, maxWaitMs: 200 } });
    topicsToDelete.push(...topics);
    assert.equal(topology.kafka.sasl?.mechanism, 'scram-sha-512');
    assert.ok(topology.kafka.ssl?.caFile);

    pipeline = await createPipeline({
      topology,
      instanceId: 'secure-1',
      metricsPort: 0,
      env: { ...process.env, ...stack.env },
      log: createLogger({ name: 'test', level: 'warn' }),
    });
    void pipeline.runner.start();
    // The metrics/health endpoint binds loopback unless the topology (here: its env override) says otherwise.
    const metricsHost = process.env['FRAUDSCORE_METRICS_HOST'] || '127.0.0.1';
    assert.ok(pipeline.metricsAddress.startsWith(`${metricsHost}:`), pipeline.metricsAddress);
    const kafka = stack.kafkaClient();
    producer = await testProducer(topology, { kafka });

    const events = validEvents(600, 'sasl');
    await producer.send(
      topology.topics.input,
      events.map((event) => ({
        key: event.customer_id,
        value: producer!.serde.encode(producer!.transactionSchemaId, event),
      })),
    );
    const inputs = await readCommitted([topology.topics.input], (r) => r.length >= events.length, 30_000, {
      raw: true,
      kafka,
    });
    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (r) => r.length >= events.length,
      60_000,
      { kafka, settleMs: 500 },
    );
    const scores = outputs.filter((r) => r.topic === topology.topics.output);
    const deadLetters = outputs.filter((r) => r.topic === topology.topics.deadLetter);

    assert.equal(inputs.length, events.length);
    assert.equal(scores.length, events.length, 'one score per event');
    assert.equal(deadLetters.length, 0);
    assertExactlyOneOutcome(inputs, scores, deadLetters);
    assertAllScoresFinite(scores);
    assertTraceable(scores, {
      model: pipeline.model.name,
      version: pipeline.model.version,
      featureSchemaVersion: FEATURE_SCHEMA.version,
      featureNames: FEATURE_SCHEMA.names,
    });
    assert.deepEqual(
      new Set(scores.map((r) => r.value['transaction_id'])),
      new Set(events.map((e) => e.transaction_id)),
    );
    // Offsets went into the transactions too: the group's committed offsets cover every input.
    // (The transaction's offset commit becomes visible to the group a moment after its records: poll briefly.)
    const admin = kafka.admin();
    await admin.connect();
    try {
      let total = -1;
      for (let attempt = 0; attempt < 50 && total !== events.length; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        const committed = await admin.fetchOffsets({
          groupId: topology.consumerGroup,
          topics: [topology.topics.input],
        });
        total = committed[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      }
      assert.equal(total, events.length, 'committed offsets account for every input record');
    } finally {
      await admin.disconnect();
    }
  });

  it('fails at start-up with a clear message naming kafka.sasl.password when the password is wrong', async () => {
    const { topology } = secureTopology(stack, { passwordEnv: { kafka: 'FRAUDSCORE_TEST_WRONG_KAFKA_PASSWORD' } });
    const wrong = `wrong-${stack.secrets.kafka.slice(-6)}-x`;
    const error = await createPipeline({
      topology,
      metricsPort: 0,
      env: { ...process.env, ...stack.env, FRAUDSCORE_TEST_WRONG_KAFKA_PASSWORD: wrong },
      log: createLogger({ name: 'test', level: 'silent' }),
    }).then(
      () => assert.fail('a wrong SASL password must fail start-up'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StartupError, `got ${String(error)}`);
    assert.equal(error.code, StartupErrorCode.KafkaAuthentication);
    assert.equal(error.field, 'kafka.sasl.password');
    assert.match(error.message, /^kafka\.sasl\.password: broker .* rejected user "fraudscore"/);
    assert.match(error.message, /FRAUDSCORE_TEST_WRONG_KAFKA_PASSWORD/, 'names where the password comes from');
    assert.ok(!error.message.includes(wrong) && !error.message.includes(stack.secrets.kafka), 'never the password');
  });

  it('fails at start-up naming kafka.sasl when the topology has TLS but no SASL for this listener', async () => {
    const { topology: secured } = secureTopology(stack);
    const topology = { ...secured, kafka: { ...secured.kafka, sasl: undefined } };
    const error = await createPipeline({
      topology,
      metricsPort: 0,
      env: { ...process.env, ...stack.env },
      log: createLogger({ name: 'test', level: 'silent' }),
    }).then(
      () => assert.fail('a client without SASL must not get through a SASL_SSL listener'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StartupError, `got ${String(error)}`);
    assert.equal(error.code, StartupErrorCode.KafkaConnectionClosed);
    assert.match(
      error.message,
      /^kafka\.sasl: broker .* closed the connection on the first request: its listener probably requires SASL/,
    );
  });

  it('fails at start-up naming kafka.ssl.caFile when the broker certificate is not trusted', async () => {
    const { topology: secured } = secureTopology(stack);
    // TLS on, but trusting only the system CAs: our throw-away CA is not among them.
    const topology = { ...secured, kafka: { ...secured.kafka, ssl: { rejectUnauthorized: true } } };
    const error = await createPipeline({
      topology,
      metricsPort: 0,
      env: { ...process.env, ...stack.env },
      log: createLogger({ name: 'test', level: 'silent' }),
    }).then(
      () => assert.fail('an untrusted broker certificate must fail start-up'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StartupError, `got ${String(error)}`);
    assert.equal(error.code, StartupErrorCode.KafkaTls);
    assert.match(
      error.message,
      /^kafka\.ssl\.caFile: the TLS certificate of broker .* is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
  });
});
