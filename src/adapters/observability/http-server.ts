import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Null when healthy, else why not. */
  unhealthyReason(): string | null;
  /** Extra fields for the /healthz body (e.g. the control version the worker applies). */
  details?(): Record<string, unknown>;
}

/** Serves /metrics (Prometheus text) and /healthz on a configurable address, loopback by default. */
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
      const reason = options.health.unhealthyReason();
      response.writeHead(reason === null ? 200 : 503, { 'content-type': 'application/json' });
      const details = options.health.details?.() ?? {};
      response.end(
        JSON.stringify(reason === null ? { status: 'ok', ...details } : { status: 'unhealthy', reason, ...details }),
      );
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? `${bound.address}:${bound.port}` : String(bound);
  return {
    server,
    address,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
