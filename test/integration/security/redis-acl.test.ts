import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectRedis } from '../../../src/adapters/redis/connect.js';
import { createRedisFeatureState } from '../../../src/adapters/redis/feature-state.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import type { Topology } from '../../../src/config/index.js';
import { DAY_MS } from '../../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../src/core/features/memory-state.js';
import { createRedis } from '../../../src/adapters/redis/connect.js';
import { createPipeline } from '../../../src/runtime/context.js';
import { StartupError, StartupErrorCode } from '../../../src/runtime/startup-errors.js';
import { assertRowsIdentical } from '../../support/feature-conformance.js';
import { randomFeatureStream, runStream } from '../../support/feature-random-stream.js';
import { secureTopology, startSecureStack, type SecureStack } from '../../support/secure-stack.js';
import { testKafka } from '../../support/stack.js';

const LABEL_DELAY_MS = 7 * DAY_MS;

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
 * Redis with an ACL user whose password is stored as a SHA-256 and whose keys are limited to `fs:*`, the `default`
 * user disabled (deploy/local/secure-stack.sh). The pipeline connects with redis.username + redis.password.
 */
describe('Redis with an ACL user (default user disabled)', () => {
  let stack: SecureStack;

  before(async () => {
    stack = await startSecureStack(['redis']);
  });

  after(async () => {
    await stack?.stop();
  });

  it('computes the same features through the ACL user as the in-memory state (password from the environment)', async () => {
    const { topology } = secureTopology(stack);
    assert.deepEqual(topology.redis.password, { env: 'FRAUDSCORE_TEST_REDIS_PASSWORD' });
    const redis = createRedis(topology, { ...stack.env });
    try {
      await connectRedis(redis);
      const stream = randomFeatureStream({
        seed: 7,
        events: 1500,
        customers: 40,
        terminals: 15,
        partitions: 2,
        days: 40,
        maxBatch: 150,
      });
      const memory = await runStream(
        createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS }),
        stream.steps,
      );
      const online = await runStream(
        createFeatureEngine({
          // The topology's key prefix (fs:<run>:) lies inside the ACL user's key pattern.
          state: createRedisFeatureState(redis, { keyPrefix: topology.redis.keyPrefix, horizonMs: 47 * DAY_MS }),
          labelDelayMs: LABEL_DELAY_MS,
        }),
        stream.steps,
      );
      assert.ok(memory.length > 1000);
      assertRowsIdentical(memory, online, 'ACL user');
    } finally {
      redis.disconnect();
    }
  });

  it('reads the password from a file as well', async () => {
    const { topology } = secureTopology(stack, { passwordFiles: ['redis'] });
    assert.ok(topology.redis.password?.file);
    // No environment at all: the secret comes from the file only.
    const redis = createRedis(topology, {});
    try {
      await connectRedis(redis);
      assert.equal(await redis.set(`${topology.redis.keyPrefix}probe`, '1'), 'OK');
      // The ACL limits the user to its key pattern.
      await assert.rejects(redis.set('outside-the-pattern', '1'), /NOPERM/);
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a client without credentials, and start-up says to set redis.username and redis.password', async () => {
    const { topology: secured } = secureTopology(stack);
    const { username: _username, password: _password, ...withoutCredentials } = secured.redis;
    const topology: Topology = { ...secured, redis: withoutCredentials };
    const error = await startupError(topology, { ...process.env });
    assert.ok(error instanceof StartupError, `got ${String(error)}`);
    assert.equal(error.code, StartupErrorCode.RedisAuthentication);
    assert.match(
      error.message,
      /^redis\.password: Redis at redis:\/\/127\.0\.0\.1:\d+ requires authentication \(NOAUTH/,
    );
    assert.match(error.message, /set redis\.username and redis\.password/);
  });

  it('fails start-up on a wrong password with a message naming redis.password, before any topic is created', async () => {
    const { topology, topics } = secureTopology(stack, {
      passwordEnv: { redis: 'FRAUDSCORE_TEST_WRONG_REDIS_PASSWORD' },
    });
    const wrong = `not-${stack.secrets.redis}`;
    const started = Date.now();
    const error = await startupError(topology, {
      ...process.env,
      ...stack.env,
      FRAUDSCORE_TEST_WRONG_REDIS_PASSWORD: wrong,
    });
    const elapsedMs = Date.now() - started;
    assert.ok(error instanceof StartupError, `got ${String(error)}`);
    assert.equal(error.code, StartupErrorCode.RedisAuthentication);
    assert.equal(error.field, 'redis.password');
    assert.match(
      error.message,
      /^redis\.password: Redis at redis:\/\/127\.0\.0\.1:\d+ refused user "fraudscore" \(WRONGPASS invalid username-password pair or user is disabled\.\); the password comes from environment variable FRAUDSCORE_TEST_WRONG_REDIS_PASSWORD/,
    );
    assert.ok(!error.message.includes(wrong) && !error.message.includes(stack.secrets.redis), 'never the password');
    assert.ok(!/\n\s+at /.test(error.message), 'a message, not a stack trace');
    assert.ok(elapsedMs < 10_000, `failed fast (${elapsedMs} ms)`);
    // Redis is checked before Kafka: the failed start left no topics behind.
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      assert.deepEqual(
        topics.filter((t) => existing.has(t)),
        [],
      );
    } finally {
      await admin.disconnect();
    }
  });
});
