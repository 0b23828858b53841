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
 * The first inline credential in `address`, or undefined. `address` is a URL (`scheme://…`) or a scheme-less
 * address such as a Kafka broker's `host:port`: any `@` before the path, query or fragment is userinfo.
 */
export function findInlineCredential(address: string): InlineCredential | undefined {
  const withoutScheme = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = withoutScheme.split(/[/?#]/, 1)[0] ?? '';
  if (authority.includes('@')) return { kind: 'userinfo' };
  const queryStart = address.indexOf('?');
  if (queryStart === -1) return undefined;
  const query = address.slice(queryStart + 1).split('#', 1)[0] ?? '';
  for (const name of new URLSearchParams(query).keys()) {
    if (CREDENTIAL_PARAMETER.test(name)) return { kind: 'query', parameter: name };
  }
  return undefined;
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
