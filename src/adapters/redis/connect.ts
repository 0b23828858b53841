import { Redis } from 'ioredis';
import { resolveSecret, type Topology } from '../../config/index.js';
import type { Logger } from '../observability/logger.js';

/** A client for the topology's Redis, not yet connected (connectRedis); its password resolved from env or file. */
export function createRedis(
  topology: Topology,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Redis {
  const { redis } = topology;
  return new Redis(redis.url, {
    ...(redis.username ? { username: redis.username } : {}),
    ...(redis.password ? { password: resolveSecret(redis.password, 'redis.password', env) } : {}),
    // Commands wait while Redis is away (the batch retries) instead of failing fast and flooding logs.
    maxRetriesPerRequest: 2,
    enableAutoPipelining: false,
    lazyConnect: true,
  });
}

/**
 * Connects a `lazyConnect` client. On failure it rejects with what Redis or the socket said (WRONGPASS, NOAUTH,
 * ECONNREFUSED), where ioredis' own connect() only says "Connection is closed." and keeps reconnecting in the
 * background; the client is then disconnected so that nothing keeps the process alive.
 */
export async function connectRedis(redis: Redis): Promise<void> {
  let reason: Error | undefined;
  const capture = (error: Error) => {
    reason ??= error;
  };
  redis.on('error', capture);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw reason ?? error;
  } finally {
    redis.off('error', capture);
  }
}

/**
 * Logs the client's connection errors once per distinct message. Without any 'error' listener ioredis prints each
 * one, with its stack, to stderr on every reconnection attempt; a command that fails while Redis is away still fails
 * the batch, which the runner retries and logs.
 */
export function logRedisErrors(redis: Redis, log: Logger): void {
  let last = '';
  redis.on('error', (error: Error) => {
    if (error.message === last) return;
    last = error.message;
    log.warn({ err: error.message, redis: redis.status }, 'redis connection error');
  });
  redis.on('ready', () => {
    last = '';
  });
}
