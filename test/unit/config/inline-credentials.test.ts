import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { findInlineCredential, inlineCredentialMessage } from '../../../src/config/inline-credentials.js';

describe('inline credentials in connection addresses', () => {
  it('finds userinfo in URLs and in scheme-less broker addresses', () => {
    for (const address of [
      'redis://user:pw@redis:6379',
      'redis://:pw@redis:6379',
      'rediss://default@redis:6379/0',
      'https://svc:pw@registry:8443/apis/ccompat/v7',
      'svc:pw@kafka-0:9093',
      'svc@kafka-0:9093',
    ]) {
      assert.deepEqual(findInlineCredential(address), { kind: 'userinfo' }, address);
    }
  });

  it('finds credential-shaped query parameters, the form ioredis turns into connection options', () => {
    const cases: [string, string][] = [
      ['redis://redis:6379/?password=s3cret', 'password'],
      ['redis://redis:6379?username=u&db=2', 'username'],
      ['rediss://redis:6379/0?db=1&sentinelPassword=x', 'sentinelPassword'],
      ['https://registry:8443/apis/ccompat/v7?api_key=abc', 'api_key'],
      ['https://registry:8443/apis/ccompat/v7?access_token=abc#frag', 'access_token'],
      ['http://registry/apis/ccompat/v7?AUTH=x', 'AUTH'],
    ];
    for (const [address, parameter] of cases) {
      assert.deepEqual(findInlineCredential(address), { kind: 'query', parameter }, address);
    }
  });

  it('lets plain addresses through: host:port, paths, harmless query parameters, @ after the authority', () => {
    for (const address of [
      'kafka-0.kafka:9093',
      'redis://redis:6379',
      'rediss://redis.internal:6380/2?db=2&family=6',
      'https://registry:8443/apis/ccompat/v7',
      'http://registry:8080/apis/ccompat/v7#user@example',
      'http://registry:8080/path/with@sign',
    ]) {
      assert.equal(findInlineCredential(address), undefined, address);
    }
  });

  it('any password placed in the userinfo or a password parameter is found, whatever its characters', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.constantFrom('redis', 'rediss', 'http', 'https'),
        (secret, scheme) => {
          const encoded = encodeURIComponent(secret);
          assert.ok(findInlineCredential(`${scheme}://u:${encoded}@host:1/x`));
          assert.ok(findInlineCredential(`${scheme}://host:1/?password=${encoded}`));
        },
      ),
    );
  });

  it('the message names what was found, never its value, and points to password: { env: … }', () => {
    const message = inlineCredentialMessage({ kind: 'query', parameter: 'password' }, 'redis');
    assert.match(message, /query parameter "password"/);
    assert.match(message, /redis\.password: \{ env: NAME \} \(or \{ file: path \}\) and the user in redis\.username/);
    assert.match(inlineCredentialMessage({ kind: 'userinfo' }, 'kafka.sasl'), /user:password@.*kafka\.sasl\.password/);
  });
});
