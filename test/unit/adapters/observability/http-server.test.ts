import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { startObservabilityServer, type HealthSource } from '../../../../src/adapters/observability/http-server.js';

/** Serves `health` on a free loopback port for the duration of `use`. */
async function serving(health: HealthSource, use: (get: (path: string) => Promise<Response>) => Promise<void>) {
  const http = await startObservabilityServer({ host: '127.0.0.1', port: 0, registry: new Registry(), health });
  try {
    await use((path) => fetch(`http://${http.address}${path}`));
  } finally {
    await http.close();
  }
}

describe('observability server: readiness and liveness apart', () => {
  it('a paused worker (retrying, no commit) fails /healthz and passes /livez', async () => {
    await serving(
      {
        unhealthyReason: () => 'no commit for 95 s: score: feature state is behind the input',
        wedgedReason: () => null,
        details: () => ({ instanceId: 'w1' }),
      },
      async (get) => {
        const ready = await get('/healthz');
        assert.equal(ready.status, 503);
        assert.deepEqual(await ready.json(), {
          status: 'unhealthy',
          reason: 'no commit for 95 s: score: feature state is behind the input',
          instanceId: 'w1',
        });
        const live = await get('/livez');
        assert.equal(live.status, 200);
        assert.deepEqual(await live.json(), { status: 'ok' });
      },
    );
  });

  it('a wedged worker fails /livez with the reason', async () => {
    await serving(
      { unhealthyReason: () => null, wedgedReason: () => 'batch loop stuck in commit for 301 s without progress' },
      async (get) => {
        const live = await get('/livez');
        assert.equal(live.status, 503);
        assert.deepEqual(await live.json(), {
          status: 'wedged',
          reason: 'batch loop stuck in commit for 301 s without progress',
        });
      },
    );
  });

  it('without a liveness source, /livez passes while the server answers; unknown paths are 404', async () => {
    await serving({ unhealthyReason: () => 'not ready' }, async (get) => {
      assert.equal((await get('/livez')).status, 200);
      assert.equal((await get('/nope')).status, 404);
    });
  });
});
