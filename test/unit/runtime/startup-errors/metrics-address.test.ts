import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { checkListenable, startObservabilityServer } from '../../../../src/adapters/observability/http-server.js';
import {
  explainListen,
  listening,
  StartupError,
  StartupErrorCode,
  WORKER_METRICS_ADDRESS,
} from '../../../../src/runtime/startup-errors.js';
import { occupiedPort } from '../../../support/occupied-port.js';

/** Starts the worker's observability server on `address` and returns its explained failure. */
async function bindFailure(address: { host: string; port: number }): Promise<StartupError> {
  const error = await listening(address, WORKER_METRICS_ADDRESS, () =>
    startObservabilityServer({ ...address, registry: new Registry(), health: { unhealthyReason: () => null } }),
  ).then(
    async (http) => {
      await http.close();
      return assert.fail(`listened on ${http.address}`);
    },
    (e: unknown) => e,
  );
  assert.ok(error instanceof StartupError, `not explained: ${String(error)}`);
  assert.ok(error.message.startsWith(`${error.field}: `), error.message);
  return error;
}

describe('start-up errors: the metrics address', () => {
  it('a port another process holds names metrics.port, the variable that sets it and the fix', async () => {
    await occupiedPort(async (port) => {
      const e = await bindFailure({ host: '127.0.0.1', port });
      assert.equal(e.code, StartupErrorCode.MetricsPortInUse);
      assert.equal(
        e.message,
        `metrics.port: 127.0.0.1:${port} is already in use (EADDRINUSE): another process listens there, perhaps ` +
          "another worker on this host or the evaluator (the port after the worker's); set metrics.port " +
          '(FRAUDSCORE_METRICS_PORT in the shipped topologies) to a free port (0 takes any free one), or stop the ' +
          'process that holds it',
      );
    });
  });

  it('the check made before the connections fails the same way', async () => {
    await occupiedPort(async (port) => {
      const address = { host: '127.0.0.1', port };
      await assert.rejects(
        listening(address, WORKER_METRICS_ADDRESS, () => checkListenable(address.host, address.port)),
        (e: unknown) => e instanceof StartupError && e.code === StartupErrorCode.MetricsPortInUse,
      );
    });
    // And lets go of a free address, which the server can then take.
    await checkListenable('127.0.0.1', 0);
  });

  it('an address this host lacks names metrics.host, the variable that sets it and the fix', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of a real host.
    const e = await bindFailure({ host: '192.0.2.1', port: 0 });
    assert.equal(e.code, StartupErrorCode.MetricsHostUnavailable);
    assert.equal(
      e.message,
      'metrics.host: 192.0.2.1 is not an address of this host (EADDRNOTAVAIL); set metrics.host ' +
        '(FRAUDSCORE_METRICS_HOST in the shipped topologies) to an address of this host: 127.0.0.1 for loopback only, ' +
        '0.0.0.0 for every interface (in a pod, so that the kubelet and Prometheus reach it)',
    );
  });

  it('a host name that does not resolve names metrics.host', async () => {
    const e = await bindFailure({ host: 'metrics.invalid', port: 0 });
    assert.equal(e.code, StartupErrorCode.MetricsHostUnavailable);
    assert.match(
      e.message,
      /^metrics\.host: metrics\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\); set metrics\.host/,
    );
  });

  it('a privileged port names metrics.port and a port from 1024 up', () => {
    // As Node raises it for a user without the privilege (this test may run as root, who has it).
    const denied = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES' });
    const e = explainListen(denied, { host: '0.0.0.0', port: 80 }, WORKER_METRICS_ADDRESS);
    assert.equal(e?.code, StartupErrorCode.MetricsPortNotPermitted);
    assert.equal(
      e?.message,
      'metrics.port: this user may not listen on port 80 (EACCES: ports below 1024 need privileges); set metrics.port ' +
        '(FRAUDSCORE_METRICS_PORT in the shipped topologies) to a port from 1024 up',
    );
  });

  it('leaves a failure configuration does not explain as it is', async () => {
    const other = new Error('something else');
    assert.equal(explainListen(other, { host: '127.0.0.1', port: 9464 }, WORKER_METRICS_ADDRESS), undefined);
    await assert.rejects(
      listening({ host: '127.0.0.1', port: 9464 }, WORKER_METRICS_ADDRESS, () => Promise.reject(other)),
      (e) => e === other,
    );
  });
});
