import { chain } from './describe.js';
import { StartupError, StartupErrorCode } from './error.js';

/** A setting of the metrics address: the field (or flag) a message names, and how an operator changes it. */
export interface AddressSetting {
  readonly field: string;
  readonly howToSet: string;
}

/** Where a /metrics endpoint's host and port come from. */
export interface MetricsAddressSettings {
  readonly host: AddressSetting;
  readonly port: AddressSetting;
}

/** A worker's: the topology's metrics section, which the shipped topologies fill from the environment. */
export const WORKER_METRICS_ADDRESS: MetricsAddressSettings = {
  host: { field: 'metrics.host', howToSet: 'metrics.host (FRAUDSCORE_METRICS_HOST in the shipped topologies)' },
  port: { field: 'metrics.port', howToSet: 'metrics.port (FRAUDSCORE_METRICS_PORT in the shipped topologies)' },
};

/**
 * Why `host:port` could not be listened on, by Node's error code, naming the setting at fault and the fix; undefined
 * for a failure that configuration does not explain.
 */
export function explainListen(
  error: unknown,
  address: { readonly host: string; readonly port: number },
  settings: MetricsAddressSettings,
): StartupError | undefined {
  const { host, port } = address;
  const code = chain(error).find((e) => typeof e.code === 'string')?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(
        StartupErrorCode.MetricsPortInUse,
        settings.port.field,
        `${host}:${port} is already in use (EADDRINUSE): another process listens there, perhaps another worker on this host or the evaluator (the port after the worker's); set ${settings.port.howToSet} to a free port (0 takes any free one), or stop the process that holds it`,
      );
    case 'EACCES':
      return new StartupError(
        StartupErrorCode.MetricsPortNotPermitted,
        settings.port.field,
        `this user may not listen on port ${port} (EACCES: ports below 1024 need privileges); set ${settings.port.howToSet} to a port from 1024 up`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN': {
      const problem = code === 'EADDRNOTAVAIL' ? 'is not an address of this host' : 'does not resolve';
      return new StartupError(
        StartupErrorCode.MetricsHostUnavailable,
        settings.host.field,
        `${host} ${problem} (${code}); set ${settings.host.howToSet} to an address of this host: 127.0.0.1 for loopback only, 0.0.0.0 for every interface (in a pod, so that the kubelet and Prometheus reach it)`,
      );
    }
    default:
      return undefined;
  }
}

/** Runs `listen` (a bind on `address`) and rethrows its failure explained. */
export async function listening<T>(
  address: { readonly host: string; readonly port: number },
  settings: MetricsAddressSettings,
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    throw explainListen(error, address, settings) ?? error;
  }
}
