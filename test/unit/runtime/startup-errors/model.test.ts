import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Topology } from '../../../../src/config/index.js';
import { FEATURE_SCHEMA } from '../../../../src/core/features/definitions.js';
import type { FeatureSchema } from '../../../../src/core/features/types.js';
import { loadServingModel } from '../../../../src/runtime/load-model.js';
import { connecting, StartupError, StartupErrorCode } from '../../../../src/runtime/startup-errors.js';
import { startupTopology } from '../../../support/startup-topology.js';

const BASE = startupTopology();

function withModel(model: Partial<Topology['model']>): Topology {
  return { ...BASE, model: { ...BASE.model, ...model } };
}

/** Loads the topology's model the way start-up does, and returns the explained failure. */
async function startupFailure(topology: Topology, schema: FeatureSchema = FEATURE_SCHEMA): Promise<StartupError> {
  const error = await connecting('model', topology, () => loadServingModel(topology, schema)).then(
    async (model) => {
      await model.scorer.close();
      return assert.fail('the model loaded');
    },
    (e: unknown) => e,
  );
  assert.ok(error instanceof StartupError, `not explained: ${String(error)}`);
  assert.ok(error.message.startsWith(`${error.field}: `), error.message);
  assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
  return error;
}

/** A copy of the committed demo registry, to break in one way per test. */
function registryCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'fraudscore-registry-')), 'registry');
  cpSync('registry', dir, { recursive: true });
  return dir;
}

describe('start-up errors: the model', () => {
  it('a relative model.registry read from another working directory names model.registry and the fix', async () => {
    const e = await startupFailure(withModel({ registry: './no-such-registry' }));
    assert.equal(e.code, StartupErrorCode.ModelRegistryMissing);
    assert.equal(
      e.message,
      `model.registry: no model registry at ${join(process.cwd(), 'no-such-registry')} (./no-such-registry, relative to the working directory ${process.cwd()}), so model card-fraud@champion cannot be loaded; run fraudscore from the directory model.registry is relative to (the project root for the shipped topologies) or set it to the registry's absolute path`,
    );
  });

  it('an absolute model.registry that is not there is named, with no advice about the working directory', async () => {
    const missing = join(tmpdir(), 'fraudscore-no-such-registry');
    const e = await startupFailure(withModel({ registry: missing }));
    assert.equal(e.code, StartupErrorCode.ModelRegistryMissing);
    assert.equal(
      e.message,
      `model.registry: no model registry at ${missing}, so model card-fraud@champion cannot be loaded; check model.registry's path`,
    );
  });

  it('a model.registry that is a file, not a directory, is unreadable: model.registry and the layout', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fraudscore-registry-')), 'registry.txt');
    writeFileSync(file, 'not a registry');
    const e = await startupFailure(withModel({ registry: file }));
    assert.equal(e.code, StartupErrorCode.ModelRegistryUnreadable);
    assert.match(
      e.message,
      /^model\.registry: cannot read model card-fraud@champion from the registry at \/.*registry\.txt \(ENOTDIR\); model\.registry must be a directory this user can read/,
    );
  });

  it('a model name the registry does not hold names model.name and lists the models there', async () => {
    const e = await startupFailure(withModel({ registry: registryCopy(), name: 'card-fruad' }));
    assert.equal(e.code, StartupErrorCode.ModelNotFound);
    assert.match(
      e.message,
      /^model\.name: no model named card-fruad in the registry at \/\S+ \(models: card-fraud\); set model\.name to one of them/,
    );
  });

  it('a version the registry does not hold names model.version and lists the versions', async () => {
    const e = await startupFailure(withModel({ registry: registryCopy(), version: '9' }));
    assert.equal(e.code, StartupErrorCode.ModelVersionNotFound);
    assert.match(
      e.message,
      /^model\.version: model card-fraud@9 is not registered \(versions: 1, 2, 3, 4, 5\) in the registry at \/\S+; set model\.version to one of those versions or to "champion"$/,
    );
  });

  it('"champion" when none is promoted names model.version and both fixes', async () => {
    const dir = registryCopy();
    const index = join(dir, 'card-fraud', 'registry.json');
    writeFileSync(index, readFileSync(index, 'utf8').replace('"champion": "5"', '"champion": null'));
    const e = await startupFailure(withModel({ registry: dir }));
    assert.equal(e.code, StartupErrorCode.ModelVersionNotFound);
    assert.match(
      e.message,
      /^model\.version: model card-fraud has no champion yet \(versions: 1, 2, 3, 4, 5\); promote one with .* or set model\.version to a registered version/,
    );
  });

  it('a model trained on another feature schema names model.version', async () => {
    const e = await startupFailure(withModel({ registry: registryCopy() }), {
      ...FEATURE_SCHEMA,
      version: 'other+000000',
    });
    assert.equal(e.code, StartupErrorCode.ModelRefused);
    assert.equal(e.field, 'model.version');
    assert.match(
      e.message,
      /refusing to serve model card-fraud@champion from the registry at \/\S+: model card-fraud@5 was trained on feature schema/,
    );
  });

  it('a model artifact missing from a listed version names model.registry', async () => {
    const dir = registryCopy();
    // Artifacts are read-only on disk, their directory is not: the file can be moved away.
    renameSync(join(dir, 'card-fraud', '5', 'model.onnx'), join(dir, 'moved.onnx'));
    const e = await startupFailure(withModel({ registry: dir }));
    assert.equal(e.field, 'model.registry');
    assert.match(e.message, /model\.onnx is missing although the index lists the version; restore it/);
  });
});
