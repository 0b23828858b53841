import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import type { Topology } from '../../../src/config/index.js';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { StartupError, StartupErrorCode } from '../../../src/runtime/startup-errors.js';
import { validEvents } from '../../support/events.js';
import { assertAllScoresFinite } from '../../support/invariants.js';
import { secureTopology, startSecureStack, type SecureStack } from '../../support/secure-stack.js';
import { deleteTopics, readCommitted, testProducer, type TestProducer } from '../../support/stack.js';

async function startupError(topology: Topology, env: Record<string, string | undefined>): Promise<unknown> {
  return createPipeline({ topology, metricsPort: 0, env, log: createLogger({ name: 'test', level: 'silent' }) }).then(
    async (pipeline) => {
      await pipeline.close();
      assert.fail('start-up should have failed');
    },
    (error: unknown) => error,
  );
}

/**
 * Apicurio Registry 3.0.9 enforcing HTTP basic auth by itself: Quarkus' embedded users realm (built into the 3.0.9
 * app) with quarkus.http.auth.basic=true, which Apicurio's AppAuthenticationMechanism delegates to, and a permission
 * that makes every path require an authenticated user. No OIDC server. Kafka is the plain local stack; Redis the
 * secure stack's ACL instance.
 */
describe('schema registry with HTTP basic auth (Apicurio 3.0.9)', () => {
  let stack: SecureStack;
  let pipeline: PipelineContext | undefined;
  let producer: TestProducer | undefined;
  const topicsToDelete: string[] = [];

  before(async () => {
    stack = await startSecureStack(['registry', 'redis']);
    process.stdout.write(`# secure registry + redis up in ${stack.startSeconds.toFixed(1)} s\n`);
  });

  after(async () => {
    await pipeline?.close();
    await producer?.close();
    await deleteTopics(topicsToDelete).catch(() => undefined);
    await stack?.stop();
  });

  it('really enforces it: anonymous and wrong-password requests get 401', async () => {
    const subjects = `${stack.registryUrl}/subjects`;
    assert.equal((await fetch(subjects)).status, 401);
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    assert.equal((await fetch(subjects, { headers: basic(stack.user, 'wrong') })).status, 401);
    assert.equal((await fetch(subjects, { headers: basic('someone-else', stack.secrets.registry) })).status, 401);
    assert.equal((await fetch(subjects, { headers: basic(stack.user, stack.secrets.registry) })).status, 200);
  });

  it('runs the pipeline with schemaRegistry.username/password: schemas registered, events scored and decodable', async () => {
    const { topology, topics } = secureTopology(stack, { overrides: { maxRecords: 200, maxWaitMs: 200 } });
    topicsToDelete.push(...topics);
    pipeline = await createPipeline({
      topology,
      instanceId: 'registry-auth',
      metricsPort: 0,
      env: { ...process.env, ...stack.env },
      log: createLogger({ name: 'test', level: 'warn' }),
    });
    void pipeline.runner.start();
    const registry = stack.registryConnection();
    producer = await testProducer(topology, { registry });
    const events = validEvents(300, 'regauth');
    await producer.send(
      topology.topics.input,
      events.map((event) => ({
        key: event.customer_id,
        value: producer!.serde.encode(producer!.transactionSchemaId, event),
      })),
    );
    // A fresh reader with the same credentials fetches the score schema by id from the secured registry.
    const scores = await readCommitted([topology.topics.output], (r) => r.length >= events.length, 60_000, {
      registry,
    });
    assert.equal(scores.length, events.length);
    assertAllScoresFinite(scores);

    const response = await fetch(`${stack.registryUrl}/subjects`, {
      headers: { authorization: `Basic ${Buffer.from(`${stack.user}:${stack.secrets.registry}`).toString('base64')}` },
    });
    const subjects = (await response.json()) as string[];
    for (const topic of topics) assert.ok(subjects.includes(`${topic}-value`), `subject ${topic}-value registered`);
  });

  it('fails start-up with a message naming schemaRegistry.password when the password is wrong', async () => {
    const { topology, topics } = secureTopology(stack, {
      passwordEnv: { registry: 'FRAUDSCORE_TEST_WRONG_REGISTRY_PASSWORD' },
    });
    topicsToDelete.push(...topics);
    const wrong = `wrong-${stack.secrets.registry}`;
    const error = await startupError(topology, {
      ...process.env,
      ...stack.env,
      FRAUDSCORE_TEST_WRONG_REGISTRY_PASSWORD: wrong,
    });
    assert.ok(error instanceof StartupError, `got ${String(error)}`);
    assert.equal(error.code, StartupErrorCode.RegistryAuthentication);
    assert.equal(error.field, 'schemaRegistry.password');
    assert.match(
      error.message,
      /^schemaRegistry\.password: the schema registry at http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 rejected user "fraudscore" \(HTTP 401\); the password comes from environment variable FRAUDSCORE_TEST_WRONG_REGISTRY_PASSWORD/,
    );
    assert.ok(!error.message.includes(wrong) && !error.message.includes(stack.secrets.registry), 'never the password');
  });

  it('fails start-up with a message naming schemaRegistry.username when no credentials are configured', async () => {
    const { topology: secured, topics } = secureTopology(stack);
    topicsToDelete.push(...topics);
    const { url, manageSubjects } = secured.schemaRegistry;
    const topology: Topology = { ...secured, schemaRegistry: { url, manageSubjects } };
    const error = await startupError(topology, { ...process.env, ...stack.env });
    assert.ok(error instanceof StartupError, `got ${String(error)}`);
    assert.equal(error.code, StartupErrorCode.RegistryAuthentication);
    assert.match(
      error.message,
      /^schemaRegistry\.username: the schema registry at .* requires authentication \(HTTP 401\)/,
    );
  });
});
