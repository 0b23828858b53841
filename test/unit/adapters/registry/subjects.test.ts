import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../../src/adapters/observability/logger.js';
import type { AvroSerde } from '../../../../src/adapters/registry/serde.js';
import {
  ensureSubjects,
  SubjectCompatibilityError,
  type SubjectSpec,
} from '../../../../src/adapters/registry/subjects.js';
import { NEEDED_COMPATIBILITY, type CompatibilityLevel } from '../../../../src/core/contract/compatibility.js';

/**
 * What ensureSubjects decides for each level a subject may have, against a tiny HTTP server answering like the
 * Confluent API for existing subjects (the real Apicurio: test/integration/adapters/registry/subjects.test.ts and
 * test/integration/contract/schema-evolution.test.ts).
 */
describe('schema subjects: the level each needs', () => {
  let server: Server;
  let url: string;
  const levels = new Map<string, CompatibilityLevel>();

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      const subject = decodeURIComponent(/\/(?:subjects|config)\/([^/?]+)/.exec(request.url ?? '')?.[1] ?? '');
      const level = levels.get(subject);
      response.writeHead(level ? 200 : 404, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      const body = !level
        ? { error_code: 40401, message: 'no such subject' }
        : request.url?.includes('/versions')
          ? [1]
          : { compatibilityLevel: level };
      response.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/apis/ccompat/v7`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** The subject at `level`, not managed: what ensureSubjects throws, or undefined when it accepts the subject. */
  async function refusal(role: 'input' | 'output', level: CompatibilityLevel): Promise<string | undefined> {
    const subject = `${role}-${level}-value`;
    levels.set(subject, level);
    const writes = role === 'output';
    const spec: SubjectSpec = {
      subject,
      role,
      schema: {},
      writes,
      needed: NEEDED_COMPATIBILITY[writes ? 'written' : 'read'],
      managed: false,
    };
    const serde = { register: async () => 1, setCompatibility: async () => {} } as unknown as AvroSerde;
    try {
      await ensureSubjects({ connection: { url }, serde, log: createLogger({ name: 't', level: 'silent' }) }, [spec]);
      return undefined;
    } catch (error) {
      assert.ok(error instanceof SubjectCompatibilityError, String(error));
      return error.message;
    }
  }

  it('accepts an input subject at FORWARD_TRANSITIVE or FULL_TRANSITIVE, and refuses every weaker level', async () => {
    assert.equal(await refusal('input', 'FORWARD_TRANSITIVE'), undefined);
    assert.equal(await refusal('input', 'FULL_TRANSITIVE'), undefined);
    for (const level of ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FULL'] as const) {
      assert.match((await refusal('input', level)) ?? 'accepted', /weaker than the FORWARD_TRANSITIVE/, level);
    }
  });

  it('says what BACKWARD lets go wrong on an input subject, and how to fix it', async () => {
    const message = (await refusal('input', 'BACKWARD'))!;
    assert.match(message, /^schema subject input-BACKWARD-value \(topics\.input\) has compatibility level BACKWARD, /);
    assert.match(message, /weaker than the FORWARD_TRANSITIVE the pipeline needs there/);
    assert.match(message, /BACKWARD lets upstream register a version the contract cannot read \(a field the contract /);
    assert.match(message, /every record written with it would be dead-lettered WRONG_SCHEMA/);
    // The fix keeps the owner's BACKWARD promise, and says what the pipeline alone would need.
    assert.ok(
      message.includes(
        'Fix: raise it to FULL_TRANSITIVE (keeping the BACKWARD promise; FORWARD_TRANSITIVE alone is enough for the ' +
          `pipeline) with \`curl -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' ` +
          `--data '{"compatibility":"FULL_TRANSITIVE"}' '${url}/config/input-BACKWARD-value'\``,
      ),
      message,
    );
    assert.match(message, /or add input to schemaRegistry\.manageSubjects to let the pipeline do it$/);
  });

  it('says that FORWARD and FULL check the latest version only, and raises them to a transitive level', async () => {
    const forward = (await refusal('input', 'FORWARD'))!;
    assert.match(forward, /FORWARD checks a new version against the latest one only, not against the contract/);
    assert.match(
      forward,
      /Fix: raise it to FORWARD_TRANSITIVE with `curl .*--data '\{"compatibility":"FORWARD_TRANSITIVE"\}'/,
    );
    const full = (await refusal('input', 'FULL'))!;
    assert.match(full, /FULL checks a new version against the latest one only/);
    assert.match(full, /raise it to FULL_TRANSITIVE/);
  });

  it('needs FULL_TRANSITIVE on a subject the pipeline writes, in the words of its readers', async () => {
    assert.equal(await refusal('output', 'FULL_TRANSITIVE'), undefined);
    const message = (await refusal('output', 'FORWARD_TRANSITIVE'))!;
    assert.match(message, /weaker than the FULL_TRANSITIVE the pipeline needs there/);
    assert.match(message, /cannot read what older releases wrote/);
    const backward = (await refusal('output', 'BACKWARD'))!;
    assert.match(backward, /consumers still reading with an older one cannot read/);
  });
});
