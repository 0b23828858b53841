import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadTopology, type Topology } from '../../../src/config/index.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { watchUnreadableVersions } from '../../../src/runtime/contract-subjects.js';
import { capturedOutput } from '../../support/captured-output.js';

type Field = { name: string; type: unknown };

/**
 * watchUnreadableVersions' first check (at start-up) against a tiny HTTP server answering like the Confluent API: what it logs and counts, and
 * that a registry which cannot answer the check leaves start-up going (the real Apicurio:
 * test/integration/contract/unreadable-versions.test.ts).
 */
describe('watchUnreadableVersions', () => {
  let server: Server;
  let topology: Topology;
  /** Each subject's versions by number, as registered; a subject absent answers 404, `broken` 500. */
  const subjects = new Map<string, Map<number, object> | 'broken'>();

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      const [, subject, version] = /^\/subjects\/([^/]+)\/versions(?:\/(\d+))?$/.exec(request.url ?? '') ?? [];
      const held = subjects.get(decodeURIComponent(subject ?? ''));
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        response.end(JSON.stringify(body));
      };
      if (held === undefined) return answer(404, { error_code: 40401, message: 'no such subject' });
      if (held === 'broken') return answer(500, { error_code: 50001, message: 'storage unavailable' });
      if (version === undefined) return answer(200, [...held.keys()]);
      const schema = held.get(Number(version));
      if (!schema) return answer(404, { error_code: 40402, message: 'no such version' });
      return answer(200, {
        subject,
        version: Number(version),
        id: 100 + Number(version),
        schema: JSON.stringify(schema),
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    topology = loadTopology('topologies/card-payments.yaml', { FRAUDSCORE_REGISTRY_URL: url });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function check(): Promise<{ lines: Record<string, unknown>[]; counts: Map<string, number> }> {
    const output = capturedOutput();
    const counts = new Map<string, number>();
    const watch = await watchUnreadableVersions(topology, {
      log: createLogger({ name: 'test', level: 'info', destination: output.stream }),
      count: (subject, n) => counts.set(subject, n),
    });
    await watch.stop();
    return { lines: output.lines().map((line) => JSON.parse(line) as Record<string, unknown>), counts };
  }

  it('warns once per version the contract cannot read and counts them per subject; an absent subject counts none', async () => {
    const input = `${topology.topics.input}-value`;
    const labels = `${topology.topics.labels}-value`;
    const contract = readContractSchema('transaction') as { fields: Field[] };
    const nullable = {
      ...contract,
      fields: contract.fields.map((f) => (f.name === 'amount' ? { ...f, type: ['null', 'double'] } : f)),
    };
    subjects.clear();
    subjects.set(
      input,
      new Map<number, object>([
        [1, nullable],
        [2, contract],
        [3, { type: 'string' }],
      ]),
    );

    const { lines, counts } = await check();
    assert.deepEqual(Object.fromEntries(counts), { [input]: 2, [labels]: 0 });
    assert.deepEqual(
      lines.map((l) => [l['level'], l['subject'], l['version'], l['schemaId']]),
      [
        [40, input, 1, 101],
        [40, input, 3, 103],
      ],
    );
    assert.match(String(lines[0]!['reason']), /\(at field amount\)$/);
    assert.match(String(lines[0]!['msg']), /Records written with it are dead-lettered WRONG_SCHEMA/);
  });

  it('a registry that cannot answer the check gets a warning, no count, and start-up goes on', async () => {
    const input = `${topology.topics.input}-value`;
    subjects.clear();
    subjects.set(input, 'broken');
    const { lines, counts } = await check();
    assert.equal(counts.has(input), false);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['level'], 40);
    assert.match(String(lines[0]!['msg']), /^could not check which versions of schema subject .* the contract reads$/);
    assert.match(String(lines[0]!['err']), /HTTP 500/);
  });
});
