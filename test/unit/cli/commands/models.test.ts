import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fraudscore } from '../../../support/cli.js';

describe('fraudscore models: a registry directory that does not exist', () => {
  // realpath: the child reports its working directory resolved (macOS's /tmp is a link).
  const elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'fraudscore-models-cli-')));
  after(() => rmSync(elsewhere, { recursive: true, force: true }));
  const notHere =
    `fraudscore: --registry: no model registry at ${elsewhere}/registry (registry, relative to the working ` +
    `directory ${elsewhere}); run from the project root or pass --registry <dir>`;

  it('is refused by every command that reads it, with the path resolved and the fix, exit 1', () => {
    for (const args of [
      ['list'],
      ['list', '--json'],
      ['show', 'card-fraud@1'],
      ['verify'],
      ['diff', 'card-fraud@1', 'card-fraud@2'],
      ['promote', 'card-fraud@1'],
      ['delete', 'card-fraud@1'],
    ]) {
      const { status, output } = fraudscore(['models', ...args], { cwd: elsewhere });
      assert.equal(status, 1, `${args.join(' ')}: ${output}`);
      assert.equal(output.trim(), notHere, args.join(' '));
    }
    assert.equal(existsSync(join(elsewhere, 'registry')), false, 'nothing is created');
  });

  it('names an absolute --registry as given', () => {
    const missing = join(elsewhere, 'nowhere');
    const { status, output } = fraudscore(['models', 'list', '--registry', missing], { cwd: elsewhere });
    assert.equal(status, 1, output);
    assert.equal(
      output.trim(),
      `fraudscore: --registry: no model registry at ${missing}; run from the project root or pass --registry <dir>`,
    );
  });

  it('register starts a new registry only at a --registry given explicitly', () => {
    const dir = resolve('registry/card-fraud/1');
    const refused = fraudscore(['models', 'register', '--dir', dir], { cwd: elsewhere });
    assert.equal(refused.status, 1, refused.output);
    assert.equal(refused.output.trim(), notHere);
    assert.equal(existsSync(join(elsewhere, 'registry')), false);

    const fresh = join(elsewhere, 'fresh-registry');
    const made = fraudscore(['models', 'register', '--dir', dir, '--registry', fresh], { cwd: elsewhere });
    assert.equal(made.status, 0, made.output);
    assert.match(made.stdout, /^card-fraud@1: registered model sha256 [0-9a-f]{64}$/m);
  });

  it('from the project root the committed registry is read as before', () => {
    const { status, stdout, output } = fraudscore(['models', 'list']);
    assert.equal(status, 0, output);
    assert.match(stdout, /^card-fraud \(champion: \d+\)$/m);
  });
});

describe('fraudscore models diff', () => {
  it("prints the README's example in a screenful or two: long values summarised, long cells cut", () => {
    const { status, stdout, output } = fraudscore(['models', 'diff', 'card-fraud@1', 'card-fraud@5']);
    assert.equal(status, 0, output);
    const lines = stdout.trimEnd().split('\n');
    assert.ok(lines.length < 100, `${lines.length} lines`);
    const widest = Math.max(...lines.map((line) => line.length));
    assert.ok(widest < 200, `a line of ${widest} characters`);
    assert.match(stdout, /^ {2}monitoring +- +object with 4 fields, sha256 [0-9a-f]{12} +\*$/m);
    assert.match(stdout, /^ {2}split\.method +test = every row in the last testDays [^…]{20,}… +test = /m);
  });

  it('summarises the score sample in --json too, with its full hash', () => {
    const { status, stdout, output } = fraudscore(['models', 'diff', 'card-fraud@4', 'card-fraud@5', '--json']);
    assert.equal(status, 0, output);
    assert.ok(stdout.length < 100_000, `${stdout.length} characters`);
    const diff = JSON.parse(stdout) as { fields: { field: string; a: unknown; changed: boolean }[] };
    const score = diff.fields.find((row) => row.field === 'monitoring.score');
    const { sha256, ...rest } = score?.a as { sha256: string };
    assert.deepEqual(rest, { kind: 'object', size: 3 });
    assert.match(sha256, /^[0-9a-f]{64}$/);
    assert.equal(score?.changed, true);
  });
});
