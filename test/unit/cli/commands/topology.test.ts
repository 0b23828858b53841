import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openFsRegistry } from '../../../../src/adapters/model-registry/index.js';
import { lintTopologyFile } from '../../../../src/cli/commands/topology.js';
import { topologyFeatureSchema } from '../../../../src/config/index.js';
import { FEATURE_SCHEMA } from '../../../../src/core/features/definitions.js';
import type { ModelCard } from '../../../../src/core/models/card.js';
import { fakeModel, makeCard } from '../../core/models/card-fixture.js';

/** `fraudscore lint FILE` as a user runs it, from the project root. */
function lintCli(file: string) {
  return spawnSync(process.execPath, ['dist/src/cli/main.js', 'lint', file], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
  });
}

describe('fraudscore lint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-lint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints what the README's example shows when its commands are run as written, from the project root", () => {
    const readme = readFileSync('README.md', 'utf8');
    const example = /```\n(\$ sed [^\n]*)\n\$ fraudscore lint (\S+)\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(example, 'README.md shows how to break a copy of the shipped topology, then `fraudscore lint` on it');
    const [, sed, shown, printed] = example as unknown as [string, string, string, string];
    // The README's own command, writing to a directory of this test instead of the reader's /tmp.
    const file = join(dir, 'broken.yaml');
    assert.ok(sed.endsWith(`> ${shown}`), `the sed command writes the file linted: ${sed}`);
    const made = spawnSync('sh', ['-c', `${sed.slice(2, -shown.length)}'${file}'`], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    // It breaks what the prose says it breaks, and nothing else.
    const shipped = readFileSync('topologies/card-payments.yaml', 'utf8');
    const expected = shipped.replace(/^consumerGroup:/m, 'consumerGrop:').replace(/maxWaitMs: \d+/, 'maxWaitMs: 60000');
    assert.notEqual(expected, shipped);
    assert.equal(readFileSync(file, 'utf8'), expected);
    const result = lintCli(file);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.equal(result.stdout + result.stderr.replaceAll(file, shown), `${printed}\n`);
  });

  it('refuses what `evaluate` would refuse at start: a horizon no longer than the label delay', () => {
    const file = join(dir, 'short-horizon.yaml');
    writeFileSync(
      file,
      `${readFileSync('topologies/card-payments.yaml', 'utf8')}\nmonitoring:\n  evaluation:\n    horizonDays: 7\n`,
    );
    const result = lintCli(file);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /^ {2}- monitoring\.evaluation\.horizonDays: 7 days is not longer than the label delay \(features\.labelDelayDays 7\).*Set it above 7\.$/m,
    );
  });
});

describe('fraudscore lint: the model named is in the registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-lint-model-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const shipped = readFileSync('topologies/card-payments.yaml', 'utf8');
  /** The shipped topology with one change, written to this test's directory. */
  const variant = (name: string, edit: (text: string) => string) => {
    const file = join(dir, name);
    const text = edit(shipped);
    assert.notEqual(text, shipped);
    writeFileSync(file, text);
    return file;
  };

  it('passes the shipped topology from the repository root, naming the model its registry resolves', () => {
    const result = lintCli('topologies/card-payments.yaml');
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^topologies\/card-payments\.yaml: ok \(card-payments: .* model card-fraud@\d+\)$/m);
  });

  it('refuses a model.name the registry does not hold, naming the field, the models there and the fix', () => {
    const file = variant('misspelt-name.yaml', (text) => text.replace(/^( {2}name:) card-fraud$/m, '$1 card-frad'));
    const result = lintCli(file);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^invalid topology \S+misspelt-name\.yaml:\n {2}- model\.name: no model named card-frad in the registry at \S+ \(\.\/registry, relative to the working directory \S+\) \(models: card-fraud\); set model\.name to one of them, or register one with `fraudscore models register --dir <dir>`\n$/,
    );
  });

  it('refuses a model.version the registry does not hold, naming the field, the versions there and the fix', () => {
    const file = variant('unknown-version.yaml', (text) => text.replace(/^( {2}version:) champion$/m, '$1 "9"'));
    const result = lintCli(file);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /^ {2}- model\.version: model card-fraud@9 is not registered \(versions: 1, 2, 3, 4, 5\) in the registry at .*; set model\.version to one of those versions or to "champion"$/m,
    );
  });

  it('passes a registered version, and refuses "champion" when the registry has no champion for the name', async () => {
    const pinned = variant('pinned.yaml', (text) => text.replace(/^( {2}version:) champion$/m, '$1 "3"'));
    assert.deepEqual(await lintTopologyFile(pinned), {
      ok: true,
      text: `${pinned}: ok (card-payments: payments.transactions -> payments.scores, model card-fraud@3)`,
    });
    const registry = join(dir, 'registry');
    cpSync('registry', registry, { recursive: true });
    const index = join(registry, 'card-fraud', 'registry.json');
    writeFileSync(index, readFileSync(index, 'utf8').replace(/"champion": "\d+"/, '"champion": null'));
    const file = variant('no-champion.yaml', (text) =>
      text.replace(/^( {2}registry:) \.\/registry$/m, `$1 ${registry}`),
    );
    const result = await lintTopologyFile(file);
    assert.equal(result.ok, false);
    assert.match(
      result.text,
      /^ {2}- model\.version: model card-fraud has no champion yet \(versions: 1, 2, 3, 4, 5\); promote one with `fraudscore models promote card-fraud@<version>`, or set model\.version to a registered version/m,
    );
  });

  it('refuses a model.registry that is no registry from the working directory, naming the field and the fix', async () => {
    const file = variant('no-registry.yaml', (text) =>
      text.replace(/^( {2}registry:) \.\/registry$/m, `$1 ${join(dir, 'nowhere')}`),
    );
    const result = await lintTopologyFile(file);
    assert.equal(result.ok, false);
    assert.match(result.text, /^ {2}- model\.registry: no model registry at \S+nowhere, so model card-fraud@champion/m);
  });
});

describe('fraudscore lint: the model is one the workers would load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-lint-load-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const shipped = readFileSync('topologies/card-payments.yaml', 'utf8');
  const SERVED = topologyFeatureSchema({ features: { set: 'card-baseline-v1', labelDelayDays: 7 } });
  // A backfill run with `labelDelayDays: 3` gives a table (and so a model) of another schema.
  const THREE_DAYS = topologyFeatureSchema({ features: { set: 'card-baseline-v1', labelDelayDays: 3 } });
  let registries = 0;

  /** The demo model's graph (15 float inputs): a session loads it and scores. */
  const ONNX = new Uint8Array(readFileSync('registry/card-fraud/5/model.onnx'));

  /**
   * A registry holding card-fraud@1, the champion, with `card` edits, and `model` as its model.onnx (the demo model's
   * graph unless given).
   */
  async function registryWith(
    edit: (card: ModelCard) => ModelCard = (card) => card,
    model: Uint8Array = ONNX,
  ): Promise<string> {
    const registry = join(dir, `registry-${++registries}`);
    const card = edit(makeCard('card-fraud', '1', model, { featureSchemaVersion: SERVED.version }));
    await openFsRegistry(registry).register(
      { model, card: new TextEncoder().encode(JSON.stringify(card)), cardMd: new TextEncoder().encode('# card\n') },
      { champion: true },
    );
    return registry;
  }

  /** The shipped topology reading `registry`, with `labelDelayDays` (7 as shipped). */
  function topologyOn(registry: string, labelDelayDays = 7): string {
    const file = join(dir, `topology-${registries}-${labelDelayDays}.yaml`);
    const text = shipped
      .replace(/^( {2}registry:) \.\/registry$/m, `$1 ${registry}`)
      .replace(/^( {2}labelDelayDays:) 7$/m, `$1 ${labelDelayDays}`);
    assert.ok(text.includes(registry) && text.includes(`labelDelayDays: ${labelDelayDays}`));
    writeFileSync(file, text);
    return file;
  }

  /** Overwrites a registered artifact (they are read-only on disk) with `edit` of its bytes. */
  function tamper(registry: string, file: string, edit: (text: string) => string): void {
    const path = join(registry, 'card-fraud', '1', file);
    chmodSync(path, 0o644);
    const text = readFileSync(path, 'utf8');
    assert.notEqual(edit(text), text);
    writeFileSync(path, edit(text));
  }

  it("passes a model trained on the topology's feature schema, whatever the topology's label delay", async () => {
    const file = topologyOn(await registryWith());
    assert.deepEqual(await lintTopologyFile(file), {
      ok: true,
      text: `${file}: ok (card-payments: payments.transactions -> payments.scores, model card-fraud@1)`,
    });
    const threeDays = topologyOn(
      await registryWith((card) => ({ ...card, featureSchemaVersion: THREE_DAYS.version })),
      3,
    );
    assert.equal((await lintTopologyFile(threeDays)).ok, true);
  });

  it('refuses, exit 1, a model trained on a table backfilled with other feature settings: both schemas, the fix', async () => {
    const registry = await registryWith((card) => ({ ...card, featureSchemaVersion: THREE_DAYS.version }));
    const file = topologyOn(registry);
    const result = lintCli(file);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `invalid topology ${file}:\n  - model.version: refusing to serve model card-fraud@champion from the ` +
        `registry at ${registry}: model card-fraud@1 was trained on feature schema ${THREE_DAYS.version} but the ` +
        `topology serves ${SERVED.version} — train a model on a table backfilled with this topology's feature ` +
        'settings (`fraudscore backfill --topology <topology file> ...`, then the trainer: training/README.md) and ' +
        `register it, or pin a model trained on ${SERVED.version} (\`fraudscore retrain\` replays the card's ` +
        `backfill settings: it would give ${THREE_DAYS.version} again)\n`,
    );
  });

  it('refuses a card registered with a feature order the schema it names does not have', async () => {
    const swapped = [FEATURE_SCHEMA.names[1]!, FEATURE_SCHEMA.names[0]!, ...FEATURE_SCHEMA.names.slice(2)];
    const registry = await registryWith((card) => ({ ...card, input: { ...card.input, features: swapped } }));
    const result = await lintTopologyFile(topologyOn(registry));
    assert.equal(result.ok, false);
    assert.match(
      result.text,
      /^ {2}- model\.version: refusing to serve model card-fraud@champion from the registry at \S+: model card-fraud@1 lists 15 input features but feature schema \S+ has 15; they first differ at position 1 \(card: tx_during_weekend, schema: amount\) — the card does not describe the feature schema it names, .*`fraudscore backfill --topology <topology file> \.\.\.`/m,
    );
  });

  it('refuses a card edited after registration to name another schema, naming model.registry and both hashes', async () => {
    const registry = await registryWith();
    tamper(registry, 'card.json', (text) => text.replace(SERVED.version, THREE_DAYS.version));
    const result = await lintTopologyFile(topologyOn(registry));
    assert.equal(result.ok, false);
    assert.match(
      result.text,
      /^ {2}- model\.registry: refusing to serve model card-fraud@champion from the registry at \S+: model card-fraud@1: card\.json sha256 is [0-9a-f]{64} but the registry recorded [0-9a-f]{64} — the card was edited after registration; registered versions are immutable: register a new version instead$/m,
    );
  });

  it('refuses, exit 1, registered bytes onnxruntime cannot load: model.version, the version and the fix', async () => {
    const registry = await registryWith(undefined, fakeModel('card-fraud@1'));
    const file = topologyOn(registry);
    const result = lintCli(file);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^invalid topology \S+:\n {2}- model\.version: refusing to serve model card-fraud@champion from the registry at \S+: model card-fraud@1: model\.onnx is not a model onnxruntime can load \(.+\) — the registered model\.onnx is not one onnxruntime can score as its card describes; set model\.version to another version \(`fraudscore models list`\), or register the model the trainer exported with its card\n$/,
    );
  });

  it("refuses a card whose input or output names are not the graph's", async () => {
    const renamed = await lintTopologyFile(
      topologyOn(await registryWith((card) => ({ ...card, input: { ...card.input, name: 'features' } }))),
    );
    assert.equal(renamed.ok, false);
    assert.match(
      renamed.text,
      /^ {2}- model\.version: .*: model card-fraud@1: model has inputs \[input\] but its card names "features"; the card does not describe this model — /m,
    );
    const output = await lintTopologyFile(
      topologyOn(await registryWith((card) => ({ ...card, output: { ...card.output, name: 'scores' } }))),
    );
    assert.match(
      output.text,
      /model card-fraud@1: model has outputs \[[^\]]*probabilities[^\]]*\] but its card names "scores"/,
    );
  });

  it('refuses a model.onnx whose bytes are not the registered ones, naming model.registry and the fix', async () => {
    const registry = await registryWith();
    tamper(registry, 'model.onnx', (text) => `${text}, tampered`);
    const result = await lintTopologyFile(topologyOn(registry));
    assert.equal(result.ok, false);
    assert.match(
      result.text,
      /^ {2}- model\.registry: refusing to serve model card-fraud@champion from the registry at \S+: model card-fraud@1: model\.onnx sha256 is [0-9a-f]{64} but the card says [0-9a-f]{64} — the artifact was modified after registration; registered versions are immutable: restore the registered bytes/m,
    );
  });
});
