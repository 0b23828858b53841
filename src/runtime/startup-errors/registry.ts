import { displayUrl, type Topology } from '../../config/index.js';
import { describeSecret, networkFailure, type ErrorLike } from './describe.js';
import { StartupError, StartupErrorCode } from './error.js';

/**
 * The HTTP status the registry answered. The registry client sets `status` (and reports a request that got no
 * answer at all as status 400, with the socket error in the message: networkFailure looks there first); our own
 * requests say "HTTP <status>" in the message.
 */
function registryStatus(errors: readonly ErrorLike[]): number | undefined {
  for (const e of errors) {
    if (typeof e.status === 'number') return e.status;
    const match = /\bHTTP (4\d\d)\b|status (4\d\d)\b/.exec(e.message ?? '');
    if (match) return Number(match[1] ?? match[2]);
  }
  return undefined;
}

export function explainRegistry(errors: readonly ErrorLike[], topology: Topology): StartupError | undefined {
  const { schemaRegistry } = topology;
  const url = displayUrl(schemaRegistry.url);
  if (errors.some((e) => e.message === 'bad port')) {
    // fetch (undici) refuses the Fetch standard's "bad ports" before connecting: no socket error to read.
    const port = new URL(schemaRegistry.url).port;
    return new StartupError(
      StartupErrorCode.RegistryUnreachable,
      'schemaRegistry.url',
      `cannot connect to the schema registry at ${url}: fetch refuses port ${port} outright (one of the Fetch standard's "bad ports", such as 1, 6000 or 10080, reserved for other protocols); serve the registry on another port and set schemaRegistry.url to it`,
    );
  }
  const failure = networkFailure(errors);
  if (failure) {
    return new StartupError(
      StartupErrorCode.RegistryUnreachable,
      'schemaRegistry.url',
      `cannot connect to the schema registry at ${url} (${failure.code}: ${failure.cause}); check the address and that the registry is running`,
    );
  }
  const status = registryStatus(errors);
  if (status === 401) {
    return schemaRegistry.username
      ? new StartupError(
          StartupErrorCode.RegistryAuthentication,
          'schemaRegistry.password',
          `the schema registry at ${url} rejected user "${schemaRegistry.username}" (HTTP 401); ${describeSecret(schemaRegistry.password)}: check that it holds this user's password and that schemaRegistry.username is right`,
        )
      : new StartupError(
          StartupErrorCode.RegistryAuthentication,
          'schemaRegistry.username',
          `the schema registry at ${url} requires authentication (HTTP 401); set schemaRegistry.username and schemaRegistry.password ({ env: NAME } or { file: path })`,
        );
  }
  if (status === 403) {
    return new StartupError(
      StartupErrorCode.RegistryPermission,
      'schemaRegistry.username',
      `the schema registry at ${url} refused user "${schemaRegistry.username ?? '(anonymous)'}" a write (HTTP 403); give it a role that may register schemas and set compatibility`,
    );
  }
  if (status === 404 || status === 405) {
    return new StartupError(
      StartupErrorCode.RegistryNotAnApi,
      'schemaRegistry.url',
      `the server at ${url} answered HTTP ${status} to a schema registration: the URL is not the base of a Confluent-compatible registry API; set it to that base (Apicurio: http://<host>:<port>/apis/ccompat/v7)`,
    );
  }
  return undefined;
}
