import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { displayUrl, findInlineCredential, inlineCredentialMessage } from '../../../src/config/inline-credentials.js';

/** The user and password WHATWG URL parsing (fetch, the registry client) reads in `address`, or null. */
function userinfoOf(address: string): { username: string; password: string } | null {
  try {
    const { username, password } = new URL(address);
    return username !== '' || password !== '' ? { username, password } : null;
  } catch {
    return null;
  }
}

const SECRET = 'S3cr3tPw';

/** Addresses with SECRET as the password, spelled every way URL parsing still reads as userinfo, and some it does not. */
const spelledAddresses = fc
  .record({
    blank: fc.constantFrom('', ' ', '\t', '\n', ' \t'),
    scheme: fc.constantFrom('http', 'https', 'HTTPS', 'redis', 'rediss', 'ftp', 'ws'),
    slashes: fc.constantFrom('//', '/\\', '\\/', '\\\\', '', '/', '///', '\\'),
    user: fc.constantFrom('', 'svc', 'a%40b', 'u\tv'),
    host: fc.constantFrom('127.0.0.1:1/apis/ccompat/v7', 'sr:8081', 'h/x?db=1', 'registry.example/a#frag'),
  })
  .map(({ blank, scheme, slashes, user, host }) => `${blank}${scheme}:${slashes}${user}:${SECRET}@${host}`);

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

  it('finds userinfo wherever URL parsing finds it: a backslash for a slash, slashes missing or doubled, blanks', () => {
    for (const address of [
      'http:/\\user:s3cret@127.0.0.1:1/apis/ccompat/v7',
      'https:\\\\user:s3cret@sr:8443/apis/ccompat/v7',
      'http:user:s3cret@sr:8081',
      'http:///user:s3cret@sr:8081',
      ' http://user:s3cret@sr:8081',
      '\thttps://user:s3cret@sr:8443',
      'HTTP://:s3cret@sr',
    ]) {
      assert.ok(userinfoOf(address), `URL parsing reads userinfo in ${JSON.stringify(address)}`);
      assert.deepEqual(findInlineCredential(address), { kind: 'userinfo' }, JSON.stringify(address));
      assert.ok(!displayUrl(address).includes('s3cret'), displayUrl(address));
    }
  });

  it('any address URL parsing reads with a user or password is refused, and displayUrl prints neither', () => {
    const withUserinfo = fc.oneof(
      spelledAddresses,
      fc.webUrl({ authoritySettings: { withUserInfo: true }, withQueryParameters: true, withFragments: true }),
    );
    fc.assert(
      fc.property(withUserinfo, (address) => {
        const userinfo = userinfoOf(address);
        fc.pre(userinfo !== null);
        assert.ok(findInlineCredential(address), JSON.stringify(address));
        const shown = displayUrl(address);
        assert.equal(userinfoOf(shown), null, `${JSON.stringify(address)} -> ${shown}`);
        if (address.includes(SECRET)) assert.ok(!shown.includes(SECRET), `${JSON.stringify(address)} -> ${shown}`);
      }),
      { numRuns: 500 },
    );
  });

  it('displayUrl removes user, password and credential parameters, and leaves other addresses as they were', () => {
    assert.equal(displayUrl('http://svc:hunter2@sr:8081/apis/ccompat/v7'), 'http://sr:8081/apis/ccompat/v7');
    assert.equal(displayUrl('http:/\\svc:hunter2@sr:8081/apis/ccompat/v7'), 'http://sr:8081/apis/ccompat/v7');
    assert.equal(displayUrl('redis://:hunter2@r:6379'), 'redis://r:6379');
    assert.equal(displayUrl('redis://r:6379/?db=2&password=hunter2'), 'redis://r:6379/?db=2&password=%5Bredacted%5D');
    assert.equal(displayUrl('http://127.0.0.1:1/apis/ccompat/v7'), 'http://127.0.0.1:1/apis/ccompat/v7');
    assert.equal(displayUrl('http://registry:8080/path/with@sign'), 'http://registry:8080/path/with@sign');
    assert.equal(displayUrl('kafka-0:9093'), 'kafka-0:9093');
    // Not a URL with userinfo to URL parsing (scheme "svc:"): anything before an '@' still goes.
    assert.equal(displayUrl('svc:hunter2@host:1'), 'host:1');
  });

  it('the message names what was found, never its value, and points to password: { env: … }', () => {
    const message = inlineCredentialMessage({ kind: 'query', parameter: 'password' }, 'redis');
    assert.match(message, /query parameter "password"/);
    assert.match(message, /redis\.password: \{ env: NAME \} \(or \{ file: path \}\) and the user in redis\.username/);
    assert.match(inlineCredentialMessage({ kind: 'userinfo' }, 'kafka.sasl'), /user:password@.*kafka\.sasl\.password/);
  });
});
