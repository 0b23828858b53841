import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelRegistryError, openFsRegistry, resolveModelRef } from '../../../../src/adapters/model-registry/index.js';

describe('resolveModelRef', () => {
  // The committed demo registry holds card-fraud@1..5, champion 5.
  const registry = openFsRegistry('./registry');

  it('names the version the registry holds: a version as it is, the champion version for @champion', async () => {
    assert.equal(await resolveModelRef(registry, { name: 'card-fraud', version: '2' }), 'card-fraud@2');
    assert.equal(await resolveModelRef(registry, { name: 'card-fraud', version: 'champion' }), 'card-fraud@5');
  });

  it("leaves a ref the registry does not hold to the registry's own refusal, for the caller to word", async () => {
    await assert.rejects(
      resolveModelRef(registry, { name: 'card-fraud', version: '9' }),
      (error: unknown) => error instanceof ModelRegistryError && /card-fraud@9 is not registered/.test(error.message),
    );
  });
});
