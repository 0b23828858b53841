/**
 * The pipeline starts against schema subjects it did not create, as in production, where the upstream team owns the
 * input subject and registers the contract before any consumer exists. On a registry of this test's own (fresh,
 * started by deploy/local/stack.sh; its default level is what the stack sets), a Confluent-client producer registers
 * and produces first; then `fraudscore run` starts:
 * - at the registry's default level (FORWARD_TRANSITIVE, what the stack sets) the subject is accepted untouched and
 *   everything is scored;
 * - pinned weaker (FORWARD: checks the latest version only) by its owner, with the topology not managing it: start-up
 *   stops with a message naming the subject, its level, the level needed, what goes wrong and a command, and that
 *   command, run as printed, fixes it (FORWARD_TRANSITIVE);
 * - weaker (BACKWARD) on a subject the topology manages: raised to FULL_TRANSITIVE (keeping its BACKWARD promise), and
 *   the log says so;
 * - stricter (FULL_TRANSITIVE): accepted as it is.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners } from 'kafkajs';
import { createLogger } from '../../../../src/adapters/observability/logger.js';
import { readContractSchema } from '../../../../src/adapters/registry/contract-schemas.js';
import type { Topology } from '../../../../src/config/index.js';
import { createPipeline } from '../../../../src/runtime/context.js';
import { validEvents } from '../../../support/events.js';
import { assertAllScoresFinite, assertExactlyOneOutcome } from '../../../support/invariants.js';
import { startOwnStack, type OwnStack } from '../../../support/own-stack.js';
import { readCommitted, type ReadRecord } from '../../../support/stack.js';
import { startWorker, stopWorker, type WorkerProcess } from '../../../support/worker-process.js';

const run = promisify(execFile);

/** The promise's result, unless the worker exits first: then its output is the failure. */
async function whileRunning<T>(worker: WorkerProcess, work: Promise<T>): Promise<T> {
  const exited = worker.exited.then((code) => {
    throw new Error(`the worker exited (${code}) first:\n${worker.output()}`);
  });
  return Promise.race([work, exited]);
}

/** The worker's exit code, or a failure if it keeps running. */
async function exitOf(worker: WorkerProcess, timeoutMs: number): Promise<number | null> {
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${worker.output()}`)), timeoutMs).unref(),
  );
  try {
    return await Promise.race([worker.exited, timer]);
  } finally {
    await stopWorker(worker);
  }
}
const CT = { 'content-type': 'application/vnd.schemaregistry.v1+json' };

describe('schema subjects registered by upstream first', () => {
  let stack: OwnStack;

  before(async () => {
    stack = await startOwnStack(['kafka', 'registry', 'redis']);
  });

  after(async () => {
    await stack?.stop();
  });

  async function subjectLevel(subject: string): Promise<string> {
    const response = await fetch(`${stack.registryUrl}/config/${encodeURIComponent(subject)}?defaultToGlobal=true`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { compatibilityLevel: string }).compatibilityLevel;
  }

  async function pinLevel(subject: string, level: string): Promise<void> {
    const response = await fetch(`${stack.registryUrl}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: CT,
      body: JSON.stringify({ compatibility: level }),
    });
    assert.equal(response.status, 200, await response.text());
  }

  /**
   * The upstream team's producer, with the Confluent client: registers the contract under
   * `<topic>-value` leaving the level to the registry (as Confluent's serializers with auto.register.schemas do:
   * they never set one), and writes wire-format records.
   */
  async function upstreamProduces(topology: Topology, count: number): Promise<string[]> {
    const topic = topology.topics.input;
    // Provisioned topics, as in production (the worker would create missing ones, but readers here subscribe first).
    const { input, output, labels, deadLetter, partitions } = topology.topics;
    for (const name of [input, output, labels, deadLetter]) await stack.createTopic(name, partitions);
    const registry = new SchemaRegistry({ host: stack.registryUrl });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(readContractSchema('transaction')) },
      { subject: `${topic}-value`, updateConfig: false },
    );
    const events = validEvents(count, topic);
    const producer = stack.kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: await Promise.all(
        events.map(async (event) => ({ key: event.customer_id, value: await registry.encode(id, event) })),
      ),
    });
    await producer.disconnect();
    return events.map((event) => event.transaction_id);
  }

  /** Every record of the input topic scored, once: read back as a downstream Confluent consumer would. */
  async function assertAllScored(topology: Topology, ids: readonly string[]): Promise<void> {
    const connections = { kafka: stack.kafka(), registry: { url: stack.registryUrl } };
    const inputs = await readCommitted([topology.topics.input], (r) => r.length >= ids.length, 30_000, {
      ...connections,
      raw: true,
    });
    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (r) => r.length >= ids.length,
      90_000,
      { ...connections, settleMs: 500 },
    );
    const scores = outputs.filter((r: ReadRecord) => r.topic === topology.topics.output);
    const deadLetters = outputs.filter((r: ReadRecord) => r.topic === topology.topics.deadLetter);
    assert.deepEqual(deadLetters, [], 'no dead letters');
    assertExactlyOneOutcome(inputs, scores, deadLetters);
    assertAllScoresFinite(scores);
    assert.deepEqual(scores.map((r) => String(r.value['transaction_id'])).sort(), [...ids].sort());
  }

  it('starts against an input subject upstream registered at the registry default level, and scores everything', async () => {
    const { topology, file } = stack.topology({ maxWaitMs: 300 });
    const subject = `${topology.topics.input}-value`;
    const ids = await upstreamProduces(topology, 300);
    const worker = startWorker(file, 'upstream-first', { ...stack.env, FRAUDSCORE_LOG_LEVEL: 'info' });
    try {
      await whileRunning(worker, assertAllScored(topology, ids));
    } finally {
      await stopWorker(worker);
    }
    assert.equal(await subjectLevel(subject), 'FORWARD_TRANSITIVE');
    assert.doesNotMatch(worker.output(), /raised the compatibility level/, 'an adequate level is left alone');
  });

  it('refuses a weaker subject it may not manage, naming subject, levels and a command that fixes it', async () => {
    const { topology, file } = stack.topology({ maxWaitMs: 300 });
    // The same topics, in a topology that manages only the subjects it writes (the default): at the registry default
    // they would fall short of the FULL_TRANSITIVE the pipeline needs on them, and be refused too.
    const { file: unmanagedFile } = stack.topology({}, () => ({
      ...topology,
      schemaRegistry: { ...topology.schemaRegistry, manageSubjects: ['output', 'deadLetter'] },
    }));
    const subject = `${topology.topics.input}-value`;
    const ids = await upstreamProduces(topology, 120);
    // Not NONE: Apicurio reads a subject's NONE as "no level of its own", and the registry default applies.
    await pinLevel(subject, 'FORWARD');

    const refused = startWorker(unmanagedFile, 'refused', stack.env);
    const code = await exitOf(refused, 60_000);
    const message = refused.output();
    assert.equal(code, 1, message);
    assert.match(message, new RegExp(`schema subject ${subject.replace(/\./g, '\\.')} \\(topics\\.input\\)`));
    assert.match(message, /compatibility level FORWARD, weaker than the FORWARD_TRANSITIVE the pipeline needs there/);
    assert.match(message, /FORWARD checks a new version against the latest one only, not against the contract/);
    assert.match(message, /add input to schemaRegistry\.manageSubjects/);
    const command = /`(curl [^`]+)`/.exec(message)?.[1];
    assert.ok(command?.includes(`/config/${subject}`), `a command for the subject: ${message}`);
    assert.equal(await subjectLevel(subject), 'FORWARD', 'nothing changed by the refused start');

    // The command, run as printed, is the fix.
    await run('bash', ['-c', command!]);
    assert.equal(await subjectLevel(subject), 'FORWARD_TRANSITIVE');
    const worker = startWorker(file, 'after-fix', stack.env);
    try {
      await whileRunning(worker, assertAllScored(topology, ids));
    } finally {
      await stopWorker(worker);
    }
  });

  it('raises a weaker subject it manages, keeping the promises it had, and logs it', async () => {
    const { topology, file } = stack.topology({ maxWaitMs: 300 });
    const subject = `${topology.topics.input}-value`;
    const ids = await upstreamProduces(topology, 120);
    await pinLevel(subject, 'BACKWARD');
    const worker = startWorker(file, 'raiser', { ...stack.env, FRAUDSCORE_LOG_LEVEL: 'info' });
    try {
      await whileRunning(worker, assertAllScored(topology, ids));
    } finally {
      await stopWorker(worker);
    }
    assert.equal(await subjectLevel(subject), 'FULL_TRANSITIVE');
    const line = worker
      .output()
      .split('\n')
      .find((l) => l.includes('raised the compatibility level'));
    assert.ok(line, `a log line says so:\n${worker.output()}`);
    const logged = JSON.parse(line) as Record<string, unknown>;
    assert.equal(logged['subject'], subject);
    assert.equal(logged['from'], 'BACKWARD');
    assert.equal(logged['to'], 'FULL_TRANSITIVE');
    assert.equal(logged['allowedBy'], 'schemaRegistry.manageSubjects: input');
  });

  it('accepts a stricter level as it is, on a subject it may not manage', async () => {
    const { topology: managing } = stack.topology();
    const topology: Topology = {
      ...managing,
      schemaRegistry: { ...managing.schemaRegistry, manageSubjects: ['output', 'deadLetter'] },
    };
    const subject = `${topology.topics.input}-value`;
    await upstreamProduces(topology, 1);
    await pinLevel(subject, 'FULL_TRANSITIVE');
    const pipeline = await createPipeline({
      topology,
      instanceId: 'strict',
      metricsPort: 0,
      env: stack.env,
      log: createLogger({ name: 'test', level: 'warn' }),
    });
    await pipeline.close();
    assert.equal(await subjectLevel(subject), 'FULL_TRANSITIVE');
  });
});
