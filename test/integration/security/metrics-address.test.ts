import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { startObservabilityServer } from '../../../src/adapters/observability/http-server.js';
import { loadTopology } from '../../../src/config/index.js';

const TOPOLOGY = 'topologies/card-payments.yaml';

/** Resolves true if a TCP connection to host:port succeeds, false if it is refused or times out. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** This host's non-loopback IPv4 addresses: where a wildcard bind would also be reachable. */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => entry.family === 'IPv4' && !entry.internal)
    .map((entry) => entry.address);
}

async function serve(host: string) {
  return startObservabilityServer({ host, port: 0, registry: new Registry(), health: { unhealthyReason: () => null } });
}

/** The /metrics and /healthz endpoint: loopback unless the topology says otherwise (metrics.host). */
describe('metrics and health endpoint address', () => {
  it('binds 127.0.0.1 with the shipped topology and no override, unreachable from other interfaces', async () => {
    const topology = loadTopology(TOPOLOGY, {});
    assert.equal(topology.metrics.host, '127.0.0.1');
    const server = await serve(topology.metrics.host);
    try {
      const port = Number(server.address.split(':').pop());
      assert.match(server.address, /^127\.0\.0\.1:\d+$/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      // 127.0.0.2 is loopback but not 127.0.0.1: a wildcard bind answers there, so the check has something to
      // check on a host without another interface too.
      const others = ['127.0.0.2', ...externalAddresses()];
      for (const address of others) assert.equal(await reachable(address, port), false, `reachable on ${address}`);
      process.stdout.write(`# checked unreachable on: ${others.join(', ')}\n`);
    } finally {
      await server.close();
    }
  });

  it('binds the address FRAUDSCORE_METRICS_HOST names', async () => {
    // 127.0.0.2 is loopback too (Linux routes 127/8 to lo), so the override is observable without exposing anything.
    const topology = loadTopology(TOPOLOGY, { FRAUDSCORE_METRICS_HOST: '127.0.0.2', FRAUDSCORE_METRICS_PORT: '0' });
    assert.equal(topology.metrics.host, '127.0.0.2');
    assert.equal(topology.metrics.port, 0);
    const server = await serve(topology.metrics.host);
    try {
      const port = Number(server.address.split(':').pop());
      assert.match(server.address, /^127\.0\.0\.2:\d+$/);
      assert.equal(await reachable('127.0.0.2', port), true);
      assert.equal(await reachable('127.0.0.1', port), false, 'not on the default address');
    } finally {
      await server.close();
    }
    // What a Kubernetes deployment sets so that Prometheus can scrape the pod.
    assert.equal(loadTopology(TOPOLOGY, { FRAUDSCORE_METRICS_HOST: '0.0.0.0' }).metrics.host, '0.0.0.0');
  });
});
