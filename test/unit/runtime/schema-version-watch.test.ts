import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import type { UnreadableVersion } from '../../../src/adapters/registry/version-readability.js';
import { SchemaVersionWatch } from '../../../src/runtime/schema-version-watch.js';
import { capturedOutput } from '../../support/captured-output.js';

const INPUT = 'payments-value';
const LABELS = 'labels-value';

/** A watch over answers the test changes between checks: a subject's unreadable versions, or an Error to throw. */
function watchOf(answers: Map<string, readonly UnreadableVersion[] | Error>) {
  const output = capturedOutput();
  const lines = () => output.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  const counts = new Map<string, number>();
  const watch = new SchemaVersionWatch({
    subjects: [
      { subject: INPUT, role: 'input' },
      { subject: LABELS, role: 'labels' },
    ],
    unreadableOf: (subject) => {
      const answer = answers.get(subject) ?? [];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    count: (subject, n) => counts.set(subject, n),
    log: createLogger({ name: 'test', level: 'info', destination: output.stream }),
  });
  let read = 0;
  /** The lines logged since the last call, as [level, subject, version]. */
  const logged = () => {
    const all = lines();
    const since = all.slice(read);
    read = all.length;
    return since.map((l) => [l['level'], l['subject'], l['version'] ?? null]);
  };
  return { watch, counts, logged, lines };
}

const version = (n: number): UnreadableVersion => ({ version: n, id: 100 + n, reason: `schema id ${100 + n} …` });
const WARN = 40;
const INFO = 30;

describe('SchemaVersionWatch', () => {
  it('follows versions registered and deleted while the worker runs: the count each check, a line per change', async () => {
    const answers = new Map<string, readonly UnreadableVersion[] | Error>([[INPUT, [version(1)]]]);
    const { watch, counts, logged } = watchOf(answers);

    await watch.check();
    assert.deepEqual(Object.fromEntries(counts), { [INPUT]: 1, [LABELS]: 0 });
    assert.deepEqual(logged(), [[WARN, INPUT, 1]]);

    // Nothing changed: the same count, no repeated warning.
    await watch.check();
    assert.deepEqual(logged(), []);

    // A version registered since (the level lowered for a while): warned about at the next check.
    answers.set(INPUT, [version(1), version(4)]);
    answers.set(LABELS, [version(2)]);
    await watch.check();
    assert.deepEqual(Object.fromEntries(counts), { [INPUT]: 2, [LABELS]: 1 });
    assert.deepEqual(logged(), [
      [WARN, INPUT, 4],
      [WARN, LABELS, 2],
    ]);

    // The on-call engineer deleted both input versions: no longer counted, and the log says which went.
    answers.set(INPUT, []);
    await watch.check();
    assert.deepEqual(Object.fromEntries(counts), { [INPUT]: 0, [LABELS]: 1 });
    const cleared = logged();
    assert.deepEqual(cleared, [
      [INFO, INPUT, 1],
      [INFO, INPUT, 4],
    ]);
  });

  it('a registry that cannot answer leaves the last count standing, is warned about once, and is checked again', async () => {
    const answers = new Map<string, readonly UnreadableVersion[] | Error>([[INPUT, [version(1)]]]);
    const { watch, counts, logged, lines } = watchOf(answers);
    await watch.check();
    logged();

    answers.set(INPUT, new Error('HTTP 503 from the registry'));
    await watch.check();
    await watch.check();
    assert.equal(counts.get(INPUT), 1);
    const failures = lines().slice(1);
    assert.equal(failures.length, 1);
    assert.match(String(failures[0]!['msg']), /^could not check which versions of schema subject payments-value/);
    assert.deepEqual(logged(), [[WARN, INPUT, null]]);

    // Back: the version, known from before, is not warned about again; its deletion is seen.
    answers.set(INPUT, []);
    await watch.check();
    assert.equal(counts.get(INPUT), 0);
    assert.deepEqual(logged(), [[INFO, INPUT, 1]]);
  });

  it('checks on its own every interval until stopped', async () => {
    const answers = new Map<string, readonly UnreadableVersion[] | Error>();
    const { watch, counts } = watchOf(answers);
    await watch.check();
    assert.equal(counts.get(INPUT), 0);
    answers.set(INPUT, [version(7)]);
    watch.start(10);
    const deadline = Date.now() + 2_000;
    while (counts.get(INPUT) !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await watch.stop();
    assert.equal(counts.get(INPUT), 1);
    answers.set(INPUT, []);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(counts.get(INPUT), 1, 'no check after stop()');
  });
});
