import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Readiness (/healthz): null when the worker does its work, else why not (it may resume by itself). */
  unhealthyReason(): string | null;
  /**
   * Liveness (/livez): null unless the process is wedged and only a restart helps, else why. Absent: alive while the
   * endpoint answers at all (a blocked event loop does not).
   */
  wedgedReason?(): string | null;
  /** Extra fields for the /healthz body (e.g. the control version the worker applies). */
  details?(): Record<string, unknown>;
}

/**
 * Serves /metrics (Prometheus text), /healthz (readiness) and /livez (liveness) on a configurable address, loopback by
 * default. Two probes because they answer two questions: a worker paused by an outage is not ready but must not be
 * restarted (it resumes by itself; a restart only moves its partitions); one that is wedged must be.
 */
export async function startObservabilityServer(options: {
  host: string;
  port: number;
  registry: Registry;
  health: HealthSource;
}): Promise<{ server: Server; address: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.url === '/metrics') {
      options.registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'content-type': options.registry.contentType });
          response.end(text);
        })
        .catch((error: unknown) => {
          response.writeHead(500);
          response.end(String(error));
        });
      return;
    }
    if (request.url === '/healthz') {
      answerProbe(response, options.health.unhealthyReason(), 'unhealthy', options.health.details?.() ?? {});
      return;
    }
    if (request.url === '/livez') {
      answerProbe(response, options.health.wedgedReason?.() ?? null, 'wedged', {});
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await listen(server, options.host, options.port);
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? `${bound.address}:${bound.port}` : String(bound);
  return {
    server,
    address,
    close: () => closeServer(server),
  };
}

/**
 * Listens on `host:port` and lets go at once: whether the observability server could start there now, for a start-up
 * that starts it late (after its connections) and would rather learn at once of an address in use. Another process
 * may still take the port in between; starting the server then fails with the same error.
 */
export async function checkListenable(host: string, port: number): Promise<void> {
  const server = createServer();
  await listen(server, host, port);
  await closeServer(server);
}

/** Rejects with Node's error (EADDRINUSE, EADDRNOTAVAIL, EACCES, ...) when `host:port` cannot be listened on. */
function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/** 200 and `ok` without a reason, else 503, `failed` and the reason; `details` in either body. */
function answerProbe(
  response: ServerResponse,
  reason: string | null,
  failed: string,
  details: Record<string, unknown>,
): void {
  response.writeHead(reason === null ? 200 : 503, { 'content-type': 'application/json' });
  response.end(JSON.stringify(reason === null ? { status: 'ok', ...details } : { status: failed, reason, ...details }));
}
