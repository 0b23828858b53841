import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fsRegistryLayout } from '../../../../src/adapters/model-registry/fs-store.js';
import {
  ModelRegistryError,
  openFsRegistry,
  readModelDir,
  type ModelArtifacts,
  type ModelRegistry,
} from '../../../../src/adapters/model-registry/index.js';
import type { ModelCard } from '../../../../src/core/models/card.js';
import { fakeModel, makeCard, SCHEMA, sha256 } from '../../core/models/card-fixture.js';

const NOW = '2024-03-02T00:00:00.000Z';
const encoder = new TextEncoder();

function artifacts(
  name: string,
  version: string,
  overrides: Partial<Pick<ModelCard, 'rollbackTarget' | 'featureSchemaVersion' | 'owner'>> = {},
  modelSeed = `${name}@${version}`,
): ModelArtifacts {
  const model = fakeModel(modelSeed);
  const card = makeCard(name, version, model, overrides);
  return {
    model,
    card: encoder.encode(`${JSON.stringify(card, null, 2)}\n`),
    cardMd: encoder.encode(`# Model card: ${name}@${version}\n`),
  };
}

async function refusal(promise: Promise<unknown>, code: string): Promise<ModelRegistryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ModelRegistryError, `expected a ModelRegistryError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a ${code} refusal`);
}

describe('filesystem model registry', () => {
  let root: string;
  let dir: string;
  let registry: ModelRegistry;
  let counter = 0;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'fraudscore-registry-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // Each test gets its own registry directory: no test depends on another's leftovers.
  async function fresh(): Promise<void> {
    dir = join(root, `r${++counter}`);
    registry = openFsRegistry(dir, () => NOW);
  }

  it('registers a version, lists, shows and loads it', async () => {
    await fresh();
    const a = artifacts('card-fraud', '1');
    const result = await registry.register(a, { champion: true });
    assert.equal(result.status, 'registered');
    assert.equal(result.champion, true);

    for (const [file, bytes] of [
      ['model.onnx', a.model],
      ['card.json', a.card],
      ['card.md', a.cardMd],
    ] as const) {
      const path = join(dir, 'card-fraud', '1', file);
      assert.deepEqual(new Uint8Array(await readFile(path)), bytes, file);
      assert.equal((await stat(path)).mode & 0o777, fsRegistryLayout.artifactMode, `${file} is read-only`);
    }
    const index = JSON.parse(await readFile(join(dir, 'card-fraud', 'registry.json'), 'utf8'));
    assert.equal(index.champion, '1');
    assert.deepEqual(index.versions[0], {
      version: '1',
      modelSha256: sha256(a.model),
      cardSha256: sha256(a.card),
      cardMdSha256: sha256(a.cardMd),
      featureSchemaVersion: SCHEMA.version,
      rollbackTarget: null,
      registeredAt: NOW,
    });

    const [summary] = await registry.list();
    assert.equal(summary?.name, 'card-fraud');
    assert.equal(summary?.champion, '1');
    const shown = await registry.show('card-fraud', 'champion');
    assert.equal(shown.card.version, '1');
    assert.equal(shown.isChampion, true);
    const loaded = await registry.load('card-fraud', 'champion', { featureSchema: SCHEMA });
    assert.deepEqual(new Uint8Array(loaded.modelBytes), a.model);
    assert.equal(loaded.card.modelSha256, sha256(a.model));
    assert.deepEqual(await registry.verify(), [{ ref: 'card-fraud@1', ok: true, problems: [] }]);
  });

  it('is immutable: identical bytes are a no-op, different bytes are refused and nothing changes', async () => {
    await fresh();
    const a = artifacts('card-fraud', '1');
    await registry.register(a);
    assert.equal((await registry.register(a)).status, 'unchanged');

    const other = artifacts('card-fraud', '1', { owner: 'someone-else' });
    const error = await refusal(registry.register(other), 'VERSION_EXISTS');
    assert.match(error.message, /card-fraud@1 is already registered with different content/);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, 'card-fraud', '1', 'card.json'))), a.card);
    assert.deepEqual(await registry.verify({ name: 'card-fraud' }), [{ ref: 'card-fraud@1', ok: true, problems: [] }]);
  });

  it('refuses to register a model.onnx that is not the one its card describes', async () => {
    await fresh();
    const a = artifacts('card-fraud', '1');
    const error = await refusal(registry.register({ ...a, model: fakeModel('other') }), 'MODEL_SHA_MISMATCH');
    assert.match(error.message, /model card-fraud@1: model\.onnx sha256 is [0-9a-f]{64} but the card says/);
    assert.deepEqual(await registry.list(), []);
  });

  it('refuses a tampered model: one flipped byte fails verify and load with the fix', async () => {
    await fresh();
    const a = artifacts('card-fraud', '3');
    await registry.register(a, { champion: true });
    const path = join(dir, 'card-fraud', '3', 'model.onnx');
    const bytes = await readFile(path);
    bytes[5] = (bytes[5] ?? 0) ^ 0x01;
    await chmod(path, 0o644);
    await writeFile(path, bytes);

    const expected =
      `model card-fraud@3: model.onnx sha256 is ${sha256(bytes)} but the card says ${sha256(a.model)} — ` +
      'the artifact was modified after registration; registered versions are immutable: restore the registered bytes ' +
      '(the sha256 the card records) or register the model as a new version';
    const [report] = await registry.verify({ name: 'card-fraud', version: '3' });
    assert.equal(report?.ok, false);
    assert.equal(report?.problems[0], expected);
    const error = await refusal(registry.load('card-fraud', 'champion'), 'MODEL_SHA_MISMATCH');
    assert.equal(error.message, expected);
    await refusal(registry.setChampion('card-fraud', '3'), 'VERIFICATION_FAILED');
  });

  it('never calls a version whose stored files changed identical, nor makes it champion by registering it again', async () => {
    await fresh();
    await registry.register(artifacts('card-fraud', '1'), { champion: true });
    const four = artifacts('card-fraud', '4');
    await registry.register(four);
    const path = join(dir, 'card-fraud', '4', 'model.onnx');
    await chmod(path, 0o644);
    await writeFile(path, Buffer.concat([Buffer.from(four.model), Buffer.from([0])]));
    await refusal(registry.setChampion('card-fraud', '4'), 'VERIFICATION_FAILED');

    // The index's hashes still match the bytes being registered; the stored file does not.
    const error = await refusal(registry.register(four, { champion: true }), 'VERIFICATION_FAILED');
    assert.match(
      error.message,
      /^model card-fraud@4 is already registered with these bytes, but the registered version fails verification: model card-fraud@4: model\.onnx sha256 is [0-9a-f]{64} but the card says/,
    );
    assert.match(error.message, /and the version was not made champion: fix what verification reports/);
    assert.match(error.message, /then check with `fraudscore models verify card-fraud@4`$/);
    assert.equal(await registry.championOf('card-fraud'), '1');
    await refusal(registry.register(four), 'VERIFICATION_FAILED');

    await rm(path);
    const missing = await refusal(registry.register(four, { champion: true }), 'VERIFICATION_FAILED');
    assert.match(missing.message, /fails verification: model\.onnx is missing/);
    assert.equal(await registry.championOf('card-fraud'), '1');

    // Restored from the files being registered: identical again, and promoted.
    await writeFile(path, four.model);
    const result = await registry.register(four, { champion: true });
    assert.equal(result.status, 'unchanged');
    assert.equal(await registry.championOf('card-fraud'), '4');
  });

  it('refuses an edited card even when the model still matches it', async () => {
    await fresh();
    await registry.register(artifacts('card-fraud', '1'));
    const path = join(dir, 'card-fraud', '1', 'card.json');
    const card = JSON.parse(await readFile(path, 'utf8'));
    card.decision.threshold = 0.5;
    await chmod(path, 0o644);
    await writeFile(path, JSON.stringify(card, null, 2));
    const error = await refusal(registry.load('card-fraud', '1'), 'CARD_SHA_MISMATCH');
    assert.match(error.message, /card\.json sha256 is .* but the registry recorded/);
    const [report] = await registry.verify();
    assert.equal(report?.ok, false);
  });

  it('refuses to serve a card stored under another version, even with the index rewritten to match it', async () => {
    await fresh();
    const one = artifacts('card-fraud', '1');
    const two = artifacts('card-fraud', '2');
    await registry.register(one);
    await registry.register(two);
    // Version 2's files copied over version 1's, and the index's hashes for 1 made to match: every hash agrees.
    for (const [file, bytes] of [
      ['model.onnx', two.model],
      ['card.json', two.card],
    ] as const) {
      const path = join(dir, 'card-fraud', '1', file);
      await chmod(path, 0o644);
      await writeFile(path, bytes);
    }
    const indexPath = join(dir, 'card-fraud', 'registry.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8'));
    index.versions[0].modelSha256 = sha256(two.model);
    index.versions[0].cardSha256 = sha256(two.card);
    await writeFile(indexPath, JSON.stringify(index, null, 2));

    const error = await refusal(registry.load('card-fraud', '1'), 'INVALID_CARD');
    assert.match(error.message, /^card\.json describes card-fraud@2 but is stored as card-fraud@1: /);
    const [report] = await registry.verify({ name: 'card-fraud', version: '1' });
    assert.deepEqual(report?.problems, [error.message]);
    assert.equal((await registry.load('card-fraud', '2')).card.version, '2');
  });

  it('refuses to load a model trained on another feature schema', async () => {
    await fresh();
    await registry.register(artifacts('card-fraud', '3', { featureSchemaVersion: 'card-baseline-v1+aaaaaaaaaaaa' }));
    const error = await refusal(registry.load('card-fraud', '3', { featureSchema: SCHEMA }), 'FEATURE_SCHEMA_MISMATCH');
    assert.equal(
      error.message,
      `model card-fraud@3 was trained on feature schema card-baseline-v1+aaaaaaaaaaaa but the topology serves ${SCHEMA.version}` +
        " — train a model on a table backfilled with this topology's feature settings (`fraudscore backfill " +
        '--topology <topology file> ...`, then the trainer: training/README.md) and register it, or pin a model ' +
        `trained on ${SCHEMA.version} (\`fraudscore retrain\` replays the card's backfill settings: it would give ` +
        'card-baseline-v1+aaaaaaaaaaaa again)',
    );
  });

  it('never registers a deleted version again, and refuses it before writing anything', async () => {
    await fresh();
    let now = '2024-03-02T00:00:00.000Z';
    const timed = openFsRegistry(dir, () => now);
    await timed.register(artifacts('card-fraud', '1'), { champion: true });
    const first = artifacts('card-fraud', '3');
    await timed.register(first);
    now = '2024-03-05T00:00:00.000Z';
    await timed.delete('card-fraud', '3');
    const indexPath = join(dir, 'card-fraud', 'registry.json');
    const indexBefore = await readFile(indexPath, 'utf8');

    // A retrain whose card still says version 3: workers that loaded the first @3 would keep scoring with it while
    // restarted ones loaded these bytes, both publishing model_version "3".
    now = '2024-03-09T00:00:00.000Z';
    const retrained = artifacts('card-fraud', '3', {}, 'card-fraud@3, retrained');
    const error = await refusal(timed.register(retrained), 'VERSION_REUSED');
    assert.equal(
      error.message,
      'model card-fraud@3 was registered at 2024-03-02T00:00:00.000Z and deleted at 2024-03-05T00:00:00.000Z; ' +
        'versions are never reused (workers that loaded the old card-fraud@3 may still serve it, and published ' +
        'scores name it): register under a new version number',
    );
    // Artifacts are written before the index (the commit point), so the refusal has to come before both.
    await assert.rejects(stat(join(dir, 'card-fraud', '3')), { code: 'ENOENT' });
    assert.equal(await readFile(indexPath, 'utf8'), indexBefore);
    await refusal(timed.register(first), 'VERSION_REUSED');
    await refusal(timed.load('card-fraud', '3'), 'NOT_FOUND');
    assert.equal((await timed.register(artifacts('card-fraud', '4'))).status, 'registered');
  });

  it('requires a registered rollback target, and never deletes the champion or a rollback target', async () => {
    await fresh();
    await refusal(
      registry.register(artifacts('card-fraud', '2', { rollbackTarget: 'card-fraud@1' })),
      'ROLLBACK_TARGET_MISSING',
    );
    await registry.register(artifacts('card-fraud', '1'));
    await registry.register(artifacts('card-fraud', '2', { rollbackTarget: 'card-fraud@1' }), { champion: true });
    // A rollback target named from another model's card is protected too.
    await registry.register(artifacts('card-fraud-lite', '1', { rollbackTarget: 'card-fraud@2' }));
    await registry.register(artifacts('card-fraud', '4'));

    const champion = await refusal(registry.delete('card-fraud', '2'), 'PROTECTED');
    assert.match(champion.message, /card-fraud@2 is the champion; promote another version before deleting it/);
    // By its selector too; and promoting `champion` names the version, keeping the index readable.
    const bySelector = await refusal(registry.delete('card-fraud', 'champion'), 'PROTECTED');
    assert.match(bySelector.message, /card-fraud@2 is the champion/);
    assert.deepEqual(await registry.setChampion('card-fraud', 'champion'), { version: '2', previous: '2' });
    assert.equal(await registry.championOf('card-fraud'), '2');
    const target = await refusal(registry.delete('card-fraud', '1'), 'PROTECTED');
    assert.match(target.message, /card-fraud@1 is the rollback target of card-fraud@2/);

    await registry.setChampion('card-fraud', '4');
    const crossName = await refusal(registry.delete('card-fraud', '2'), 'PROTECTED');
    assert.match(crossName.message, /rollback target of card-fraud-lite@1/);

    await registry.delete('card-fraud-lite', '1');
    await registry.delete('card-fraud', '2');
    await registry.delete('card-fraud', '1');
    await assert.rejects(stat(join(dir, 'card-fraud', '1')), { code: 'ENOENT' });
    const fraud = (await registry.list()).find((model) => model.name === 'card-fraud');
    assert.deepEqual(
      fraud?.versions.map((v) => v.version),
      ['4'],
    );
    assert.deepEqual(
      JSON.parse(await readFile(join(dir, 'card-fraud', 'registry.json'), 'utf8')).history.map(
        (h: { action: string; version: string }) => `${h.action} ${h.version}`,
      ),
      ['register 1', 'register 2', 'promote 2', 'register 4', 'promote 4', 'delete 2', 'delete 1'],
    );
  });

  it('requires a rollback target trained on the same feature schema, at register and verify', async () => {
    await fresh();
    const other = 'card-baseline-v2+aaaaaaaaaaaa';
    await registry.register(artifacts('card-fraud', '1', { featureSchemaVersion: other }));
    const error = await refusal(
      registry.register(artifacts('card-fraud', '2', { rollbackTarget: 'card-fraud@1' })),
      'ROLLBACK_TARGET_SCHEMA_MISMATCH',
    );
    const expected =
      `model card-fraud@2 (feature schema ${SCHEMA.version}) names rollback target card-fraud@1, trained on feature ` +
      `schema ${other}: workers computing ${SCHEMA.version} would refuse to load it, so the kill switch would fail ` +
      `during an incident; retrain with --rollback-target naming a registered version trained on ${SCHEMA.version}`;
    assert.equal(error.message, expected);
    await assert.rejects(stat(join(dir, 'card-fraud', '2')), { code: 'ENOENT' });

    // A pair registered before the rule (here: the target's schema rewritten after): verify reports it.
    await registry.register(artifacts('card-fraud', '3'));
    await registry.register(artifacts('card-fraud', '4', { rollbackTarget: 'card-fraud@3' }));
    const indexPath = join(dir, 'card-fraud', 'registry.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8'));
    index.versions.find((v: { version: string }) => v.version === '3').featureSchemaVersion = other;
    await writeFile(indexPath, JSON.stringify(index, null, 2));
    const [report] = await registry.verify({ name: 'card-fraud', version: '4' });
    assert.deepEqual(report, {
      ref: 'card-fraud@4',
      ok: false,
      problems: [expected.replaceAll('card-fraud@2', 'card-fraud@4').replace('card-fraud@1', 'card-fraud@3')],
    });
  });

  it('diffs two versions', async () => {
    await fresh();
    await registry.register(artifacts('card-fraud', '1'));
    await registry.register(artifacts('card-fraud', '2', { rollbackTarget: 'card-fraud@1' }));
    const { diff } = await registry.diff({ name: 'card-fraud', version: '1' }, { name: 'card-fraud', version: '2' });
    assert.deepEqual(
      diff.fields
        .filter((row) => row.changed)
        .map((row) => row.field)
        .sort(),
      ['modelSha256', 'rollbackTarget', 'version'],
    );
  });

  it('adopts identical leftovers of an interrupted register and refuses different ones', async () => {
    await fresh();
    const a = artifacts('card-fraud', '1');
    // Files written, index not: what a crash between the two steps leaves.
    await mkdir(join(dir, 'card-fraud', '1'), { recursive: true });
    await writeFile(join(dir, 'card-fraud', '1', 'model.onnx'), a.model);
    assert.equal((await registry.register(a)).status, 'registered');

    const b = artifacts('card-fraud', '2');
    await mkdir(join(dir, 'card-fraud', '2'), { recursive: true });
    await writeFile(join(dir, 'card-fraud', '2', 'card.md'), 'something else');
    const error = await refusal(registry.register(b), 'ARTIFACT_CONFLICT');
    assert.match(error.message, /is not in the index .* remove the directory/);
  });

  it('fails fast, retryably, while another command holds the lock', async () => {
    await fresh();
    await mkdir(join(dir, 'card-fraud'), { recursive: true });
    await writeFile(join(dir, 'card-fraud', fsRegistryLayout.lockFile), 'pid 1 since then\n');
    const error = await refusal(registry.register(artifacts('card-fraud', '1')), 'LOCKED');
    assert.equal(error.canRetry, true);
  });

  it('reads a trainer output directory and names a missing file', async () => {
    await fresh();
    const out = join(root, `out${counter}`);
    await mkdir(out);
    const a = artifacts('card-fraud', '1');
    await writeFile(join(out, 'model.onnx'), a.model);
    await writeFile(join(out, 'card.json'), a.card);
    const error = await refusal(readModelDir(out), 'MISSING_ARTIFACT');
    assert.match(error.message, /card\.md \(ENOENT\)/);
    await writeFile(join(out, 'card.md'), a.cardMd);
    assert.equal((await registry.register(await readModelDir(out))).status, 'registered');
  });

  it('says which models exist when asked for an unknown one', async () => {
    await fresh();
    await registry.register(artifacts('card-fraud', '1'));
    const error = await refusal(registry.show('nope', '1'), 'NOT_FOUND');
    assert.match(error.message, /no model named nope .* \(models: card-fraud\)/);
    await refusal(registry.load('card-fraud', 'champion'), 'NO_CHAMPION');
  });
});
