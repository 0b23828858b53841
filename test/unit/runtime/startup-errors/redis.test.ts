import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Redis, ReplyError } from 'ioredis';
import type { Topology } from '../../../../src/config/index.js';
import { connectRedis } from '../../../../src/adapters/redis/connect.js';
import { explainStartupError, StartupError, StartupErrorCode } from '../../../../src/runtime/startup-errors.js';
import { SECURED_TOPOLOGY, startupTopology } from '../../../support/startup-topology.js';

function explained(error: unknown, topology: Topology = SECURED_TOPOLOGY): StartupError {
  const result = explainStartupError(error, topology, 'redis');
  assert.ok(result instanceof StartupError, `not explained: ${String(result)}`);
  assert.ok(result.message.startsWith(`${result.field}: `), result.message);
  assert.ok(!result.message.includes('\n'), `one line: ${result.message}`);
  return result;
}

/** The reply ioredis raises for a server error, built with ioredis' own class. */
const reply = (message: string): Error => new (ReplyError as new (message: string) => Error)(message);

/** What connectRedis rejects with at `url` (one attempt, no reconnection); `ifConnected` fails the test. */
function connectionError(url: string, ifConnected: string): Promise<unknown> {
  return connectRedis(new Redis(url, { lazyConnect: true, retryStrategy: () => null })).then(
    () => assert.fail(ifConnected),
    (e: unknown) => e,
  );
}

describe('start-up errors: Redis', () => {
  it('a stopped Redis (ioredis ECONNREFUSED through connectRedis) names redis.url and the fix', async () => {
    const url = 'redis://127.0.0.1:1';
    const error = await connectionError(url, 'something listens on 127.0.0.1:1');
    const e = explained(error, startupTopology({ redisUrl: url }));
    assert.equal(e.code, StartupErrorCode.RedisUnreachable);
    assert.equal(
      e.message,
      'redis.url: cannot connect to Redis at redis://127.0.0.1:1 (ECONNREFUSED: nothing accepts connections there); check the address and that Redis is running',
    );
  });

  it('another service at redis.url (an HTTP server answering) is named as not Redis, not as a protocol bug', async () => {
    const http = createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `redis://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const error = await connectionError(url, 'an HTTP server passed for Redis');
      const e = explained(error, startupTopology({ redisUrl: url }));
      assert.equal(e.code, StartupErrorCode.RedisNotRedis);
      assert.equal(
        e.message,
        `redis.url: what answers at ${url} is not Redis (its reply does not follow the Redis protocol: Protocol error, got "H" as reply type byte); check the host and port: another service listens there`,
      );
    } finally {
      http.close();
    }
  });

  it('prints the URL without credentials, should one carry them', () => {
    const base = startupTopology();
    const topology: Topology = { ...base, redis: { ...base.redis, url: 'redis://svc:hunter2@r:6379/0' } };
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const e = explained(refused, topology);
    assert.ok(!e.message.includes('hunter2') && !e.message.includes('svc:'), e.message);
    assert.match(e.message, /at redis:\/\/r:6379\/0 /);
  });

  it('WRONGPASS names redis.password and where the password comes from, never the password', () => {
    const wrong = explained(reply('WRONGPASS invalid username-password pair or user is disabled.'));
    assert.equal(wrong.code, StartupErrorCode.RedisAuthentication);
    assert.equal(wrong.field, 'redis.password');
    assert.match(
      wrong.message,
      /refused user "svc" .* file \/run\/secrets\/redis: check that it holds this user's password/,
    );
  });

  it('NOAUTH says to set redis.username and redis.password', () => {
    const noAuth = explained(reply('NOAUTH Authentication required.'), startupTopology());
    assert.equal(noAuth.field, 'redis.password');
    assert.match(noAuth.message, /requires authentication .* set redis\.username and redis\.password/);
  });

  it('NOPERM names redis.username and the key pattern to grant', () => {
    const noPerm = explained(reply("NOPERM this user has no permissions to run the 'evalsha' command"));
    assert.equal(noPerm.code, StartupErrorCode.RedisPermission);
    assert.match(noPerm.message, /^redis\.username: Redis user "svc" lacks a permission .* redis\.keyPrefix \(fs:\*\)/);
  });
});
