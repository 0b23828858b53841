import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openFsRegistry } from '../../../src/adapters/model-registry/index.js';
import { registeredRef } from '../../../src/lifecycle/registered-ref.js';

describe('a model named on the command line, checked against the registry', () => {
  // The committed demo registry holds card-fraud@1..5, champion 5.
  const registry = openFsRegistry('./registry');

  it('gives back a registered version as it is, and the champion version for @champion', async () => {
    assert.equal(await registeredRef(registry, '--challenger', 'card-fraud@2'), 'card-fraud@2');
    assert.equal(await registeredRef(registry, '--champion', 'card-fraud@champion'), 'card-fraud@5');
  });

  it('refuses a version the registry does not hold, naming the flag and the versions it holds', async () => {
    await assert.rejects(registeredRef(registry, '--challenger', 'card-fraud@9'), {
      message:
        `--challenger: model card-fraud@9 is not registered (versions: 1, 2, 3, 4, 5) in the registry at ${registry.location}; ` +
        'name a model the registry holds (`fraudscore models list`), nothing was read or written',
    });
  });

  it('refuses a model name the registry does not hold, naming the flag and the models it holds', async () => {
    await assert.rejects(registeredRef(registry, '--champion', 'card-frad@1'), (error: Error) => {
      assert.match(
        error.message,
        /^--champion: no model named card-frad in \S+\/registry \(models: card-fraud\); .* name a model the registry holds/,
      );
      return true;
    });
  });

  it('refuses what is not name@version, naming the flag', async () => {
    await assert.rejects(registeredRef(registry, '--challenger', 'card-fraud'), {
      message: '--challenger: "card-fraud" is not name@version (e.g. card-fraud@3 or card-fraud@champion)',
    });
  });

  describe('a registry with no champion', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'fraudscore-registered-ref-')), 'registry');
    after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync('registry', dir, { recursive: true });
    const index = join(dir, 'card-fraud', 'registry.json');
    writeFileSync(index, readFileSync(index, 'utf8').replace(/"champion": "\d+"/, '"champion": null'));

    it('refuses @champion, naming the flag and the versions there', async () => {
      await assert.rejects(registeredRef(openFsRegistry(dir), '--champion', 'card-fraud@champion'), (error: Error) => {
        assert.ok(
          error.message.startsWith(
            '--champion: model card-fraud has no champion yet (versions: 1, 2, 3, 4, 5); promote one with',
          ),
          error.message,
        );
        assert.ok(error.message.includes(`in the registry at ${dir}`), error.message);
        return true;
      });
    });
  });
});
