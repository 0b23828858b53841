import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { RegistryUnavailableError, type AvroSerde } from '../../../src/adapters/registry/serde.js';
import { OutputSchemas, type OutputSchemaIds } from '../../../src/runtime/output-schemas.js';

type Verdict = 'same' | 'other' | 'missing' | 'down';

/**
 * The two registry calls OutputSchemas makes (describeId, forgetIds), scripted; the real registry path (an in-memory
 * Apicurio that restarts empty) is the registry fault drill's (test/fault/registry.test.ts).
 */
function setup(options: { verdict: Verdict; register?: () => Promise<OutputSchemaIds> }) {
  let now = 1_000_000;
  const calls = { describe: 0, forget: 0, register: 0 };
  const state = { verdict: options.verdict };
  const serde = {
    async describeId() {
      calls.describe++;
      if (state.verdict === 'down') throw new RegistryUnavailableError('connect ECONNREFUSED');
      return state.verdict;
    },
    forgetIds() {
      calls.forget++;
    },
  } as unknown as AvroSerde;
  const schemas = new OutputSchemas({
    serde,
    initial: { score: 3, deadLetter: 4 },
    schemas: { score: {}, deadLetter: {} },
    register: async () => {
      calls.register++;
      return options.register ? options.register() : { score: 11, deadLetter: 12 };
    },
    log: createLogger({ name: 'test', level: 'silent' }),
    clock: () => now,
  });
  return {
    schemas,
    calls,
    state,
    advance: (ms: number) => (now += ms),
    /** Lets a check started by current() (not awaited when the registry is trusted) finish. */
    settle: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

describe('output schema ids against a registry that may lose its state', () => {
  it('asks the registry at most once a second while batches flow, and keeps its ids while they hold', async () => {
    const t = setup({ verdict: 'same' });
    for (let i = 0; i < 25; i++) {
      assert.deepEqual(await t.schemas.current(), { score: 3, deadLetter: 4 });
      t.advance(100);
      await t.settle();
    }
    assert.equal(t.calls.describe, 4, 'two checks (of two ids each) in 2.5 s of batches');
    assert.equal(t.calls.register, 0);
  });

  it('registers again, after forgetting every id, before the next batch encodes once the ids mean nothing', async () => {
    const t = setup({ verdict: 'same' });
    await t.schemas.current();
    t.state.verdict = 'missing';
    t.advance(1_000);
    await t.schemas.current(); // starts the check; its answer comes after this batch
    await t.settle();
    assert.deepEqual(await t.schemas.current(), { score: 11, deadLetter: 12 });
    assert.deepEqual(t.calls, { describe: 2, forget: 1, register: 1 });
  });

  it('keeps encoding with its ids while the registry does not answer, then waits for an answer before encoding', async () => {
    const t = setup({ verdict: 'down' });
    t.advance(1_000);
    assert.deepEqual(await t.schemas.current(), { score: 3, deadLetter: 4 });
    await t.settle();
    // Unreachable: every batch now asks (and waits for the answer) before it encodes.
    const describedBefore = t.calls.describe;
    assert.deepEqual(await t.schemas.current(), { score: 3, deadLetter: 4 });
    assert.ok(t.calls.describe > describedBefore);
    // It comes back empty, another tenant took the ids: the first batch that sees it encodes with new ids.
    t.state.verdict = 'other';
    assert.deepEqual(await t.schemas.current(), { score: 11, deadLetter: 12 });
    assert.equal(t.calls.forget, 1);
  });

  it('after a quiet spell the first batch waits for a fresh answer (a restart fits in a quiet spell)', async () => {
    const t = setup({ verdict: 'same' });
    await t.schemas.current();
    t.state.verdict = 'missing';
    t.advance(60_000);
    assert.deepEqual(await t.schemas.current(), { score: 11, deadLetter: 12 });
  });

  it('fails the batch (to be retried) while the stale ids cannot be registered again, forgetting only once', async () => {
    let fail = true;
    const t = setup({
      verdict: 'missing',
      register: async () => {
        if (fail) throw new RegistryUnavailableError('connect ECONNREFUSED');
        return { score: 21, deadLetter: 22 };
      },
    });
    t.advance(60_000);
    await assert.rejects(t.schemas.current(), RegistryUnavailableError);
    await assert.rejects(t.schemas.current(), RegistryUnavailableError);
    fail = false;
    assert.deepEqual(await t.schemas.current(), { score: 21, deadLetter: 22 });
    assert.equal(t.calls.forget, 1);
  });
});
