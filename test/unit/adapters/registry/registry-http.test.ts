import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registryRequest, RegistryUnavailableError } from '../../../../src/adapters/registry/registry-http.js';

describe('registry requests that get no answer', () => {
  it('name the registry without the user and password its address carries, however it is spelled', async () => {
    // fetch refuses a URL with credentials before any connection: the failure is immediate, no service needed.
    for (const url of [
      'http://svc:s3cret@127.0.0.1:1/apis/ccompat/v7',
      'http:/\\svc:s3cret@127.0.0.1:1/apis/ccompat/v7',
    ]) {
      await assert.rejects(registryRequest({ url }, 'GET', '/subjects'), (error: Error) => {
        assert.ok(error instanceof RegistryUnavailableError);
        assert.equal(
          error.message,
          'schema registry at http://127.0.0.1:1/apis/ccompat/v7 did not answer GET /subjects',
          url,
        );
        return true;
      });
    }
  });
});
