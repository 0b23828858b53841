import assert from 'node:assert/strict';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fraudscore } from '../../../support/cli.js';
import { sha256 } from '../../core/models/card-fixture.js';

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
    assert.equal(output.trim(), `fraudscore: --registry: no model registry at ${missing}; check the path`);
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
    // A change in a count is the exact difference (231885 to 583411 rows), not rounded to three digits.
    assert.match(stdout, /^ {2}dataset\.rows +231885 +583411 +\+351526$/m);
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

describe('fraudscore models show: a copy of the committed registry', () => {
  const root = mkdtempSync(join(tmpdir(), 'fraudscore-models-show-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let copies = 0;

  /** A fresh copy for each test, so that one test's tampering is not another's starting point. */
  function copyOfRegistry(): string {
    const dir = join(root, `registry-${++copies}`);
    cpSync(resolve('registry'), dir, { recursive: true });
    return dir;
  }

  function show(registry: string, ...args: string[]) {
    return fraudscore(['models', 'show', ...args, '--registry', registry]);
  }

  const verifyAdvice = (registry: string, ref: string) =>
    `fraudscore: warning: ${ref} fails verification: do not take what is shown for the registered model; restore ` +
    "the version's files from a backup of the registry and check them with " +
    `\`fraudscore models verify ${ref} --registry ${registry}\``;

  it('refuses --json with --markdown, in either order, naming both, before reading anything', () => {
    for (const flags of [
      ['--json', '--markdown'],
      ['--markdown', '--json'],
    ]) {
      const run = show(join(root, 'no-registry-here'), 'card-fraud@5', ...flags);
      assert.equal(run.status, 1, run.output);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.split('\n')[0], "error: option '--json' cannot be used with option '--markdown'");
    }
  });

  it('shows an untouched version with no warning, exit 0', () => {
    const registry = copyOfRegistry();
    const run = show(registry, 'card-fraud@5');
    assert.equal(run.status, 0, run.output);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^card-fraud@5 \(champion\)\n {2}location /);
    assert.doesNotMatch(run.stdout, /caution/);
  });

  it('says when the card records dirty training code and a model below its baselines', () => {
    const registry = copyOfRegistry();
    const run = show(registry, 'card-fraud@4');
    assert.equal(run.status, 0, run.output);
    assert.equal(run.stderr, '');
    assert.match(
      run.stdout,
      /^ {2}caution {10}trained with uncommitted changes in training\/ \(training\.codeDirty\)/m,
    );
    assert.match(
      run.stdout,
      /^ {2}caution {10}below its baselines \(averagePrecision 0\.685853 vs randomForest 0\.70789\); registered with --allow-below-baseline: beats both baselines/m,
    );
  });

  it('warns that an edited card.json is not the registered card, with both hashes, and exits 1', () => {
    const registry = copyOfRegistry();
    const cardPath = join(registry, 'card-fraud', '4', 'card.json');
    const edited = readFileSync(cardPath, 'utf8').replace('"owner": "fraud-ml-team"', '"owner": "someone-else"');
    writeFileSync(cardPath, edited);
    for (const args of [['card-fraud@4'], ['card-fraud@4', '--json'], ['card-fraud@4', '--markdown']]) {
      const run = show(registry, ...args);
      assert.equal(run.status, 1, `${args.join(' ')}: ${run.output}`);
      assert.deepEqual(run.stderr.trimEnd().split('\n'), [
        `fraudscore: warning: model card-fraud@4: card.json sha256 is ${sha256(edited)} but the registry recorded ` +
          'c20b99012037aa3e2bbbdc3892ec69c59216f5203f6a527f60dcd1428b3708cc — the card was edited after ' +
          'registration; registered versions are immutable: register a new version instead',
        verifyAdvice(registry, 'card-fraud@4'),
      ]);
    }
    assert.match(show(registry, 'card-fraud@4').stdout, /by someone-else$/m, 'what is on disk is still shown');
  });

  it('warns that a modified model.onnx is not the registered model, through the champion selector, and exits 1', () => {
    const registry = copyOfRegistry();
    appendFileSync(join(registry, 'card-fraud', '5', 'model.onnx'), 'x');
    const run = show(registry, 'card-fraud@champion');
    assert.equal(run.status, 1, run.output);
    assert.match(
      run.stderr,
      /^fraudscore: warning: model card-fraud@5: model\.onnx sha256 is [0-9a-f]{64} but the card says 90e14fad/m,
    );
    assert.ok(run.stderr.trimEnd().endsWith(verifyAdvice(registry, 'card-fraud@5')), run.stderr);
  });

  it('diff warns the same way when either version is not the registered one, and exits 1', () => {
    const registry = copyOfRegistry();
    const clean = fraudscore(['models', 'diff', 'card-fraud@4', 'card-fraud@5', '--registry', registry]);
    assert.equal(clean.status, 0, clean.output);
    assert.equal(clean.stderr, '');
    const cardPath = join(registry, 'card-fraud', '4', 'card.json');
    writeFileSync(cardPath, readFileSync(cardPath, 'utf8').replace('"owner": "fraud-ml-team"', '"owner": "x"'));
    for (const json of [[], ['--json']]) {
      const run = fraudscore(['models', 'diff', 'card-fraud@4', 'card-fraud@5', '--registry', registry, ...json]);
      assert.equal(run.status, 1, run.output);
      assert.match(run.stderr, /^fraudscore: warning: model card-fraud@4: card\.json sha256 is [0-9a-f]{64} but/);
      assert.ok(run.stderr.trimEnd().endsWith(verifyAdvice(registry, 'card-fraud@4')), run.stderr);
      assert.doesNotMatch(run.stderr, /card-fraud@5/, 'the untouched version is not blamed');
    }
  });
});

describe('fraudscore models register: a model.onnx onnxruntime cannot score as its card describes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-models-register-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of card-fraud@1's directory under another version, with `edit` of its card and `model` as model.onnx. */
  function modelDir(name: string, model: Uint8Array, edit: (card: Record<string, unknown>) => void = () => {}): string {
    const out = join(dir, name);
    cpSync('registry/card-fraud/1', out, { recursive: true });
    const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8')) as Record<string, unknown>;
    card['version'] = '99';
    card['rollbackTarget'] = null;
    card['modelSha256'] = sha256(model);
    edit(card);
    rmSync(join(out, 'model.onnx'), { force: true });
    writeFileSync(join(out, 'model.onnx'), model);
    rmSync(join(out, 'card.json'), { force: true });
    writeFileSync(join(out, 'card.json'), JSON.stringify(card));
    return out;
  }

  it('refuses bytes that are no graph, or a card naming an input the graph lacks, registering nothing, exit 1', () => {
    const registry = join(dir, 'registry');
    cpSync('registry', registry, { recursive: true });
    const indexBefore = readFileSync(join(registry, 'card-fraud', 'registry.json'), 'utf8');
    const notOnnx = modelDir('not-onnx', new TextEncoder().encode('not a model'));
    const garbage = fraudscore(['models', 'register', '--dir', notOnnx, '--registry', registry]);
    assert.equal(garbage.status, 1, garbage.output);
    assert.match(
      garbage.output.trim(),
      /^fraudscore: refusing to register \S+not-onnx: model card-fraud@99: model\.onnx is not a model onnxruntime can load \(.+\); register the model\.onnx the trainer exported with this card$/,
    );
    const model = new Uint8Array(readFileSync('registry/card-fraud/1/model.onnx'));
    const renamed = modelDir('renamed-input', model, (card) => {
      card['input'] = { ...(card['input'] as object), name: 'features' };
    });
    const wrongInput = fraudscore(['models', 'register', '--dir', renamed, '--registry', registry]);
    assert.equal(wrongInput.status, 1, wrongInput.output);
    assert.match(wrongInput.output, /model card-fraud@99: model has inputs \[input\] but its card names "features"/);
    assert.equal(readFileSync(join(registry, 'card-fraud', 'registry.json'), 'utf8'), indexBefore);
    assert.equal(existsSync(join(registry, 'card-fraud', '99')), false);

    const good = fraudscore(['models', 'register', '--dir', modelDir('good', model), '--registry', registry]);
    assert.equal(good.status, 0, good.output);
    assert.match(good.stdout, /^card-fraud@99: registered model sha256 [0-9a-f]{64}$/m);
  });
});

describe('fraudscore models promote without -t', () => {
  it('says when workers follow the promotion, and how to see what a topology’s workers will serve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudscore-promote-cli-'));
    try {
      const registry = join(dir, 'registry');
      cpSync('registry', registry, { recursive: true });
      const { status, stdout, output } = fraudscore(['models', 'promote', 'card-fraud@4', '--registry', registry]);
      assert.equal(status, 0, output);
      assert.deepEqual(stdout.trimEnd().split('\n').slice(1), [
        "workers follow it only where the topology's model.version is champion, no champion is named on its control " +
          'topic and the kill switch is off: add -t <topology file> to see what its workers will serve',
      ]);
      assert.match(stdout, /^card-fraud@4 is champion \(was \d+\)$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
