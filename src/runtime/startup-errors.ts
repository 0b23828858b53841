import type { Connecting, StartupService, Topology } from '../config/index.js';
import { chain } from './startup-errors/describe.js';
import { StartupError } from './startup-errors/error.js';
import { explainKafka } from './startup-errors/kafka.js';
import { explainModel } from './startup-errors/model.js';
import { explainRedis } from './startup-errors/redis.js';
import { explainRegistry } from './startup-errors/registry.js';

export { StartupError, StartupErrorCode } from './startup-errors/error.js';
export {
  explainListen,
  listening,
  WORKER_METRICS_ADDRESS,
  type MetricsAddressSettings,
} from './startup-errors/metrics-address.js';

/**
 * Turns a start-up failure of `service` that configuration or the operator can fix into a StartupError naming the
 * topology field, what was tried, the likely cause and the fix; anything else is returned unchanged (the caller
 * rethrows it).
 */
export function explainStartupError(error: unknown, topology: Topology, service: StartupService): unknown {
  if (error instanceof StartupError) return error;
  const errors = chain(error);
  const explain = { kafka: explainKafka, redis: explainRedis, registry: explainRegistry, model: explainModel }[service];
  return explain(errors, topology) ?? error;
}

/** Runs one step of start-up (a connection, loading the model) and rethrows its failure explained. */
export async function connecting<T>(service: StartupService, topology: Topology, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw explainStartupError(error, topology, service);
  }
}

/** `connecting` bound to a topology, for the layers that take it as a parameter (the simulator, the backfill). */
export function connectingFor(topology: Topology): Connecting {
  return (service, step) => connecting(service, topology, step);
}
