import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// The repository's npm set-up, not a module under src/: run from the repository root, like every test.
describe('npm configuration', () => {
  it("the project .npmrc hands onnxruntime-node's install script its skip switch, and sets nothing else npm does not know", () => {
    // Without the npm_config_* variables an enclosing `npm test` exports: only the project's .npmrc may set the key.
    const environment = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_config_')),
    );
    const printSwitch = 'process.stdout.write(String(process.env.npm_config_onnxruntime_node_install))';
    const result = spawnSync('npm', ['exec', '--', 'node', '-e', printSwitch], { encoding: 'utf8', env: environment });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'skip');
    // npm 11 warns about the one key it does not know; any other unknown key would be a mistake.
    const unknown = [...result.stderr.matchAll(/Unknown project config "([^"]+)"/g)].map((match) => match[1]);
    assert.deepEqual(
      [...new Set(unknown)].filter((key) => key !== 'onnxruntime-node-install'),
      [],
    );
  });

  it("package.json denies onnxruntime-node's install script too (it would fetch CUDA libraries from nuget.org)", () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };
    assert.equal(manifest.allowScripts?.['onnxruntime-node'], false);
  });

  it('onnxruntime-node loads with the binaries its package ships', async () => {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync('registry/card-fraud/1/model.onnx'));
    assert.deepEqual(session.inputNames, ['input']);
    await session.release();
  });
});
