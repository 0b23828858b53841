import { displayUrl, type Topology } from '../../config/index.js';
import { describeSecret, networkFailure, type ErrorLike } from './describe.js';
import { StartupError, StartupErrorCode } from './error.js';

export function explainRedis(errors: readonly ErrorLike[], topology: Topology): StartupError | undefined {
  const { redis } = topology;
  const url = displayUrl(redis.url);
  const user = redis.username ?? 'default';
  for (const e of errors) {
    const message = e.message ?? '';
    if (/^WRONGPASS/.test(message)) {
      return new StartupError(
        StartupErrorCode.RedisAuthentication,
        'redis.password',
        `Redis at ${url} refused user "${user}" (${message}); ${describeSecret(redis.password)}: check that it holds this user's password${redis.username ? ' and that redis.username is right' : ', and set redis.username if the server uses ACL users'}`,
      );
    }
    if (/^NOAUTH/.test(message)) {
      return new StartupError(
        StartupErrorCode.RedisAuthentication,
        'redis.password',
        `Redis at ${url} requires authentication (${message}); set redis.username and redis.password ({ env: NAME } or { file: path })`,
      );
    }
    // ioredis' words when the first byte of a reply is none of RESP's: another service listens at the address.
    if (/^Protocol error, got /.test(message)) {
      return new StartupError(
        StartupErrorCode.RedisNotRedis,
        'redis.url',
        `what answers at ${url} is not Redis (its reply does not follow the Redis protocol: ${message.replace(/\. Please report this\.?$/, '')}); check the host and port: another service listens there`,
      );
    }
    if (/^NOPERM/.test(message)) {
      return new StartupError(
        StartupErrorCode.RedisPermission,
        'redis.username',
        `Redis user "${user}" lacks a permission the pipeline needs (${message}); grant it the commands it uses and the key pattern of redis.keyPrefix (${redis.keyPrefix}*)`,
      );
    }
  }
  const failure = networkFailure(errors);
  if (failure) {
    return new StartupError(
      StartupErrorCode.RedisUnreachable,
      'redis.url',
      `cannot connect to Redis at ${url} (${failure.code}: ${failure.cause}); check the address and that Redis is running`,
    );
  }
  return undefined;
}
