import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PipelineContext } from '../../../src/runtime/context.js';
import { FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { startTestWorker } from '../../support/test-worker.js';
import { assertAllScoresFinite, assertExactlyOneOutcome, assertTraceable } from '../../support/invariants.js';
import { hostileValues, validEvents } from '../../support/events.js';
import { deleteTopics, readCommitted, testProducer, testTopology, type TestProducer } from '../../support/stack.js';

describe('pipeline end to end (real Kafka, registry, Redis, ONNX)', () => {
  const { topology, topics } = testTopology({ maxRecords: 250, maxWaitMs: 300 });
  let producer: TestProducer;
  let pipeline: PipelineContext;

  before(async () => {
    pipeline = await startTestWorker(topology);
    producer = await testProducer(topology);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topics);
  });

  it('gives every valid event one score and every bad one a dead letter with its reason', async () => {
    const events = validEvents(1200, 'e2e');
    const hostile = hostileValues(producer, 'e2e');
    await producer.send(topology.topics.input, [
      ...events.map((event) => ({
        key: event.customer_id,
        value: producer.serde.encode(producer.transactionSchemaId, event),
      })),
      ...hostile.map(({ value }, i) => ({ key: `bad-${i}`, value })),
    ]);
    const inputs = await readCommitted(
      [topology.topics.input],
      (r) => r.length >= events.length + hostile.length,
      30_000,
      { raw: true },
    );
    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (r) => r.length >= inputs.length,
    );
    const scores = outputs.filter((r) => r.topic === topology.topics.output);
    const deadLetters = outputs.filter((r) => r.topic === topology.topics.deadLetter);

    assert.equal(scores.length, events.length);
    assert.equal(deadLetters.length, hostile.length);
    assertExactlyOneOutcome(inputs, scores, deadLetters);
    assertAllScoresFinite(scores);
    assertTraceable(scores, {
      model: pipeline.model.name,
      version: pipeline.model.version,
      featureSchemaVersion: FEATURE_SCHEMA.version,
      featureNames: FEATURE_SCHEMA.names,
    });
    assert.deepEqual(
      deadLetters.map((r) => r.value['reason']).sort(),
      hostile.map((h) => h.reason).sort(),
      'each bad input gets its specific reason',
    );
    const byId = new Map(scores.map((r) => [r.value['transaction_id'], r]));
    assert.deepEqual(new Set(byId.keys()), new Set(events.map((e) => e.transaction_id)));
    // Keyed like the input: downstream joins by customer.
    for (const event of events.slice(0, 50)) assert.equal(byId.get(event.transaction_id)?.key, event.customer_id);
  });

  it('serves /metrics and /healthz on loopback, counting what it did', async () => {
    assert.match(pipeline.metricsAddress, /^127\.0\.0\.1:\d+$/);
    const health = await fetch(`http://${pipeline.metricsAddress}/healthz`);
    assert.equal(health.status, 200);
    const text = await (await fetch(`http://${pipeline.metricsAddress}/metrics`)).text();
    const scored = [...text.matchAll(/^fraudscore_records_scored_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    assert.equal(scored, 1200);
    // Readiness as /healthz answers it, for the alert rules (FraudscoreWorkerNotReady).
    assert.match(text, /^fraudscore_ready\{[^}]*\} 1$/m);
    assert.match(text, /^fraudscore_records_dead_lettered_total\{[^}]*reason="INVALID_AMOUNT"[^}]*\} 3$/m);
    assert.match(text, /^fraudscore_batch_latency_ms_count\{[^}]*\} [1-9]/m);
    // The feature replica: its size, and the logs fetched whole (every entity the first time it is seen).
    assert.match(text, /^fraudscore_feature_replica_bytes\{[^}]*\} \d+$/m);
    assert.match(text, /^fraudscore_feature_replica_whole_logs_total\{[^}]*\} [1-9]\d*$/m);
    // The newest time taken per stream, in seconds: the transactions' newest event time; no labels series, as no label
    // was sent (a 0 would read as a labels feed decades behind).
    const newest = Math.max(...validEvents(1200, 'e2e').map((event) => event.event_time)) / 1000;
    assert.match(
      text,
      new RegExp(`^fraudscore_newest_taken_time_seconds\\{[^}]*stream="transactions"[^}]*\\} ${newest}$`, 'm'),
    );
    assert.doesNotMatch(text, /^fraudscore_newest_taken_time_seconds\{[^}]*stream="labels"/m);
  });
});
