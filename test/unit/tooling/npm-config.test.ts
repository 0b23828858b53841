import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// The repository's npm set-up, not a module under src/: run from the repository root, like every test.
describe('npm configuration', () => {
  it('npm reads the project .npmrc without a warning (no keys npm does not know)', () => {
    const result = spawnSync('npm', ['config', 'list', '--json'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    // Only the project's file: a developer's ~/.npmrc is none of this repository's business.
    assert.doesNotMatch(result.stderr, /project config/i);
  });

  it("package.json denies onnxruntime-node's install script (it would fetch CUDA libraries from nuget.org)", () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };
    assert.equal(manifest.allowScripts?.['onnxruntime-node'], false);
    assert.doesNotMatch(readFileSync('.npmrc', 'utf8'), /onnxruntime/);
  });

  it('onnxruntime-node loads with the binaries its package ships', async () => {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync('registry/card-fraud/1/model.onnx'));
    assert.deepEqual(session.inputNames, ['input']);
    await session.release();
  });
});
