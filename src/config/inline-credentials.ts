/**
 * Credentials written into a connection address. A URL or broker address is printed in logs and start-up error
 * messages, so a secret inside it would leak there; and clients honour more than the userinfo: ioredis turns every
 * query parameter into a connection option (`redis://host:6379/?password=…` authenticates), the registry client
 * sends whatever the URL carries. Topologies therefore refuse both forms; secrets go in `password: { env: … }`.
 */
export type InlineCredential =
  | { readonly kind: 'userinfo' }
  | { readonly kind: 'query'; /** The parameter name (never its value). */ readonly parameter: string };

/** Query parameter names that carry or select a credential in the clients we use, or in URLs generally. */
const CREDENTIAL_PARAMETER = /pass|pwd|user|auth|secret|token|key|cred|sig/i;

/**
 * `address` as the clients parse it (WHATWG URL: fetch, the registry client), or undefined when it is not a URL to
 * them. That reading takes a backslash for a slash (`http:/\user:pw@host`), skips leading spaces and drops tabs and
 * newlines anywhere: what the hand-written reading below misses, this one sees.
 */
function parseUrl(address: string): URL | undefined {
  try {
    return new URL(address);
  } catch {
    return undefined;
  }
}

function hasUserinfo(url: URL | undefined): boolean {
  return url !== undefined && (url.username !== '' || url.password !== '');
}

/**
 * The first inline credential in `address`, or undefined. `address` is a URL (`scheme://…`) or a scheme-less
 * address such as a Kafka broker's `host:port`: any `@` before the path, query or fragment is userinfo. Both
 * readings are checked, URL parsing and the scheme-less one (to URL parsing, `user:pw@host:1` is scheme `user:`
 * and a path), and whatever either finds is refused.
 */
export function findInlineCredential(address: string): InlineCredential | undefined {
  const url = parseUrl(address);
  if (hasUserinfo(url)) return { kind: 'userinfo' };
  const withoutScheme = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = withoutScheme.split(/[/?#]/, 1)[0] ?? '';
  if (authority.includes('@')) return { kind: 'userinfo' };
  const queryStart = address.indexOf('?');
  const query = queryStart === -1 ? '' : (address.slice(queryStart + 1).split('#', 1)[0] ?? '');
  const names = [...new URLSearchParams(query).keys(), ...(url?.searchParams.keys() ?? [])];
  const parameter = names.find((name) => CREDENTIAL_PARAMETER.test(name));
  return parameter === undefined ? undefined : { kind: 'query', parameter };
}

/**
 * An address as it may be printed: without user and password, and with the values of credential-shaped query
 * parameters blanked. A URL is blanked as the clients parse it (so `http:/\user:pw@host` loses its password too);
 * anything else loses what stands between the scheme and an '@' (`user:pw@host:1`, which URL parsing reads as
 * scheme `user:`, prints as `host:1`).
 */
export function displayUrl(address: string): string {
  const url = parseUrl(address);
  const parameters = [...(url?.searchParams.keys() ?? [])].filter((name) => CREDENTIAL_PARAMETER.test(name));
  if (url === undefined || (!hasUserinfo(url) && parameters.length === 0)) {
    return address.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, '$1');
  }
  url.username = '';
  url.password = '';
  for (const name of parameters) url.searchParams.set(name, '[redacted]');
  return url.href;
}

/**
 * The validation message: what was found (never the value) and the fields where the credential belongs, e.g.
 * `redis` for `redis.password` and `redis.username`.
 */
export function inlineCredentialMessage(found: InlineCredential, section: string): string {
  const what = found.kind === 'userinfo' ? 'user:password@' : `query parameter "${found.parameter}"`;
  return (
    `no credentials in the address (found ${what}): it is printed in logs and error messages; ` +
    `put the password in ${section}.password: { env: NAME } (or { file: path }) and the user in ${section}.username`
  );
}
