import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Topology } from '../../../../src/config/index.js';
import { createAvroSerde, RegistryUnavailableError } from '../../../../src/adapters/registry/serde.js';
import { explainStartupError, StartupError, StartupErrorCode } from '../../../../src/runtime/startup-errors.js';
import { SECURED_TOPOLOGY, startupTopology } from '../../../support/startup-topology.js';

const SCHEMA = { type: 'record', name: 'Probe', fields: [{ name: 'id', type: 'string' }] };

/** What the registry client really throws when registering a schema at `url` fails (through our serde). */
async function registerError(url: string): Promise<unknown> {
  return createAvroSerde({ url })
    .register('probe-value', SCHEMA)
    .then(
      () => assert.fail(`${url} accepted a schema`),
      (error: unknown) => error,
    );
}

function explained(error: unknown, topology: Topology): StartupError {
  const result = explainStartupError(error, topology, 'registry');
  assert.ok(result instanceof StartupError, `not explained: ${String(result)}`);
  assert.ok(result.message.startsWith(`${result.field}: `), result.message);
  assert.ok(!result.message.includes('\n'), `one line: ${result.message}`);
  return result;
}

async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A local HTTP server answering every request with `status`: a wrong path, or a registry that wants a login. */
function answering(status: number): { start(): Promise<string>; stop(): Promise<void> } {
  let server: Server | undefined;
  return {
    start: () =>
      new Promise((resolve) => {
        server = createHttpServer((request, response) => {
          request.resume();
          response.writeHead(status, { 'content-type': 'application/json' }).end('{"error_code":0,"message":"no"}');
        });
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`));
      }),
    stop: () =>
      new Promise((resolve) => {
        // The registry client keeps connections alive; close() alone would wait for them to time out.
        server?.closeAllConnections();
        return server ? server.close(() => resolve()) : resolve();
      }),
  };
}

describe('start-up errors: schema registry', () => {
  const notFound = answering(404);
  const unauthorized = answering(401);
  const forbidden = answering(403);
  const base: Record<number, string> = {};
  before(async () => {
    base[404] = await notFound.start();
    base[401] = await unauthorized.start();
    base[403] = await forbidden.start();
  });
  after(async () => {
    await Promise.all([notFound.stop(), unauthorized.stop(), forbidden.stop()]);
  });

  it('a stopped registry (ECONNREFUSED) names schemaRegistry.url and the fix', async () => {
    // fetch refuses port 1 outright ("bad port"), so a port that was free a moment ago stands in for a stopped one.
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
    const e = explained(await registerError(url), startupTopology({ registryUrl: url }));
    assert.equal(e.code, StartupErrorCode.RegistryUnreachable);
    assert.equal(
      e.message,
      `schemaRegistry.url: cannot connect to the schema registry at http://127.0.0.1:${port}/apis/ccompat/v7 (ECONNREFUSED: nothing accepts connections there); check the address and that the registry is running`,
    );
  });

  it('our own compatibility request (fetch) to a stopped registry gives the same message', async () => {
    // fetch refuses port 1 outright ("bad port"), so a port that was free a moment ago stands in for a stopped one.
    const url = `http://127.0.0.1:${await closedPort()}/apis/ccompat/v7`;
    const error = await createAvroSerde({ url })
      .setCompatibility('probe-value', 'FORWARD_TRANSITIVE')
      .then(
        () => assert.fail('no registry there'),
        (e: unknown) => e,
      );
    assert.equal(explained(error, startupTopology({ registryUrl: url })).code, StartupErrorCode.RegistryUnreachable);
  });

  it('a port fetch refuses outright (a Fetch standard "bad port") names schemaRegistry.url and the fix', async () => {
    const url = 'http://127.0.0.1:1/apis/ccompat/v7';
    const e = explained(await registerError(url), startupTopology({ registryUrl: url }));
    assert.equal(e.code, StartupErrorCode.RegistryUnreachable);
    assert.equal(
      e.message,
      'schemaRegistry.url: cannot connect to the schema registry at http://127.0.0.1:1/apis/ccompat/v7: fetch refuses ' +
        'port 1 outright (one of the Fetch standard\'s "bad ports", such as 1, 6000 or 10080, reserved for other ' +
        'protocols); serve the registry on another port and set schemaRegistry.url to it',
    );
  });

  it('a server that is not HTTP (socket hang up) names schemaRegistry.url', async () => {
    // Closes once the request has arrived, as a server that does not speak HTTP does. Closing on accept instead races
    // the client: a connection closed before the request is written is opened again, until the request times out.
    const tcp = createTcpServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}/apis/ccompat/v7`;
      const e = explained(await registerError(url), startupTopology({ registryUrl: url }));
      assert.equal(e.code, StartupErrorCode.RegistryUnreachable);
      assert.match(
        e.message,
        /\(ECONNRESET: the server closed the connection without an answer: probably not the right kind of server\); check the address/,
      );
    } finally {
      await new Promise((resolve) => tcp.close(resolve));
    }
  });

  it('a registry that does not answer in time names schemaRegistry.url (fetch timed out)', () => {
    const url = 'http://10.255.255.1:8081/apis/ccompat/v7';
    const timedOut = new RegistryUnavailableError(
      `schema registry at ${url} did not answer POST /subjects/s/versions`,
      {
        cause: new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      },
    );
    const e = explained(timedOut, startupTopology({ registryUrl: url }));
    assert.equal(e.code, StartupErrorCode.RegistryUnreachable);
    assert.match(e.message, /^schemaRegistry\.url: .*\(ETIMEDOUT: no answer in time: a wrong address/);
  });

  it('a URL that is not the API base (HTTP 404) names schemaRegistry.url and the expected base', async () => {
    const url = `${base[404]}/`;
    const e = explained(await registerError(url), startupTopology({ registryUrl: url }));
    assert.equal(e.code, StartupErrorCode.RegistryNotAnApi);
    assert.match(
      e.message,
      /^schemaRegistry\.url: the server at http:\/\/127\.0\.0\.1:\d+\/ answered HTTP 404 to a schema registration: the URL is not the base of a Confluent-compatible registry API; set it to that base \(Apicurio: http:\/\/<host>:<port>\/apis\/ccompat\/v7\)$/,
    );
  });

  it('HTTP 401 with a configured user names schemaRegistry.password and where it comes from', async () => {
    const url = base[401] as string;
    const error = await registerError(url);
    const e = explained(error, SECURED_TOPOLOGY);
    assert.equal(e.field, 'schemaRegistry.password');
    assert.match(e.message, /rejected user "svc" \(HTTP 401\); the password comes from environment variable SR_PW/);
    const anonymous = explained(error, startupTopology({ registryUrl: url }));
    assert.equal(anonymous.field, 'schemaRegistry.username');
    assert.match(
      anonymous.message,
      /requires authentication \(HTTP 401\); set schemaRegistry\.username and schemaRegistry\.password/,
    );
  });

  it('HTTP 403 names schemaRegistry.username and the missing role', async () => {
    const e = explained(await registerError(base[403] as string), SECURED_TOPOLOGY);
    assert.equal(e.code, StartupErrorCode.RegistryPermission);
    assert.match(e.message, /refused user "svc" a write \(HTTP 403\); give it a role that may register schemas/);
  });

  it('our own setCompatibility failure with HTTP 401 is read from its message', () => {
    const ours = new Error('setting compatibility FORWARD_TRANSITIVE on subject s failed: HTTP 401 ');
    assert.equal(explained(ours, SECURED_TOPOLOGY).field, 'schemaRegistry.password');
  });
});
