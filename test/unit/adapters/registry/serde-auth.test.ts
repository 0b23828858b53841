import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createAvroSerde } from '../../../../src/adapters/registry/serde.js';
import { parseTopology, registryConnection } from '../../../../src/config/index.js';

/**
 * What the registry client sends, checked against a tiny HTTP server that records each request and answers like the
 * Confluent API. Only the HTTP layer is stood in for: this tests pure client behaviour (the real Apicurio with basic
 * auth is exercised in test/integration/security/registry-basic-auth.test.ts).
 */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

const SCHEMA = { type: 'record', name: 'Probe', fields: [{ name: 'a', type: 'string' }] };

describe('schema registry client: basic auth', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];

  before(async () => {
    server = createServer((request, response) => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
      request.resume();
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        response.end(JSON.stringify(body));
      };
      const url = request.url ?? '';
      if (request.method === 'GET' && url.includes('/config/'))
        return json(404, { error_code: 40401, message: 'nope' });
      if (request.method === 'POST' && url.endsWith('/versions')) return json(200, { id: 7 });
      if (request.method === 'PUT' && url.includes('/config/'))
        return json(200, { compatibility: 'FORWARD_TRANSITIVE' });
      if (request.method === 'GET' && url.endsWith('/schemas/ids/7'))
        return json(200, { schema: JSON.stringify(SCHEMA) });
      return json(404, { error_code: 40403, message: 'unexpected request' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/apis/ccompat/v7`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function exercise(connection: Parameters<typeof createAvroSerde>[0]): Promise<Seen[]> {
    seen.length = 0;
    const writer = createAvroSerde(connection);
    const id = await writer.register('probe-value', SCHEMA);
    await writer.setCompatibility('probe-value', 'FORWARD_TRANSITIVE');
    const bytes = writer.encode(id, { a: 'x' });
    // A fresh client knows no schema yet: decoding fetches schema 7 by id.
    const reader = createAvroSerde(connection);
    const decoded = await reader.decode(bytes);
    assert.deepEqual(decoded.ok && { ...decoded.value }, { a: 'x' });
    return [...seen];
  }

  it('sends the credentials as an Authorization: Basic header on every request (register, config, fetch by id)', async () => {
    const requests = await exercise({ url: base, username: 'fraudscore', password: 'p@ss:wörd' });
    const expected = `Basic ${Buffer.from('fraudscore:p@ss:wörd', 'utf8').toString('base64')}`;
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url.replace(/^\/apis\/ccompat\/v7/, '')}`),
      ['POST /subjects/probe-value/versions', 'PUT /config/probe-value', 'GET /schemas/ids/7'],
    );
    for (const request of requests) {
      assert.equal(request.headers.authorization, expected, `${request.method} ${request.url}`);
    }
  });

  it('sends no Authorization header when no username is configured', async () => {
    const requests = await exercise({ url: base });
    assert.ok(requests.length >= 3);
    for (const request of requests) assert.equal(request.headers.authorization, undefined);
  });

  it('takes the password from the topology secret reference, resolved from the environment', async () => {
    const topology = parseTopology(
      `name: t
kafka: { brokers: ['127.0.0.1:1'] }
schemaRegistry: { url: '${base}', username: fraudscore, password: { env: REGISTRY_PW } }
redis: { url: 'redis://127.0.0.1:1' }
topics: { input: i, output: o, labels: l, deadLetter: d }
consumerGroup: g
batch: { maxRecords: 100, maxWaitMs: 100 }
features: { set: card-baseline-v1, labelDelayDays: 7 }
model: { registry: ./registry, name: card-fraud, version: champion }
decision: { blockAt: 0.5, reviewAt: 0.1, fallbackScore: 0.05 }
metrics: { port: 0 }
`,
      't.yaml',
      {},
    );
    const connection = registryConnection(topology, { REGISTRY_PW: 'from-env' });
    assert.deepEqual(connection, { url: base, username: 'fraudscore', password: 'from-env' });
    const requests = await exercise(connection);
    assert.equal(requests[0]?.headers.authorization, `Basic ${Buffer.from('fraudscore:from-env').toString('base64')}`);
  });

  it('rejects a registry URL that carries credentials (they would reach every log line naming the URL)', () => {
    assert.throws(
      () =>
        parseTopology(
          `name: t
kafka: { brokers: ['127.0.0.1:1'] }
schemaRegistry: { url: 'http://fraudscore:hunter2@127.0.0.1:1/apis/ccompat/v7' }
redis: { url: 'redis://127.0.0.1:1' }
topics: { input: i, output: o, labels: l, deadLetter: d }
consumerGroup: g
batch: { maxRecords: 100, maxWaitMs: 100 }
features: { set: card-baseline-v1, labelDelayDays: 7 }
model: { registry: ./registry, name: card-fraud, version: champion }
decision: { blockAt: 0.5, reviewAt: 0.1, fallbackScore: 0.05 }
metrics: { port: 0 }
`,
          't.yaml',
          {},
        ),
      (error: Error) =>
        /schemaRegistry\.url: no credentials in the address \(found user:password@\).*schemaRegistry\.password: \{ env: NAME \}/.test(
          error.message,
        ) && !error.message.includes('hunter2'),
    );
  });
});
