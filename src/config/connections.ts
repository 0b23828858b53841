import { resolveSecret } from './secrets.js';
import type { Topology } from './topology-schema.js';

/**
 * How to reach Kafka: a topology's `kafka` section, or the same fields filled from elsewhere (the simulator's flags).
 * The client adapter (src/adapters/kafka/kafka-client.ts) builds its client from it, TLS and SASL included.
 */
export type KafkaConnection = Topology['kafka'];

/** What a start-up failure is explained for: a connection, or loading the model. */
export type StartupService = 'kafka' | 'redis' | 'registry' | 'model';

/**
 * Runs one step that reaches `service` and rethrows its failure explained against a topology, naming the field and
 * the fix (src/runtime/startup-errors.ts: `connectingFor`). Layers that do not import the runtime take it as a
 * parameter.
 */
export type Connecting = <T>(service: StartupService, step: () => Promise<T>) => Promise<T>;

/** Runs the step as it is: for callers that have no topology to explain a failure against. */
export const connectDirectly: Connecting = (_service, step) => step();

/** How to reach the schema registry: what the registry adapters (src/adapters/registry) are given. */
export interface RegistryConnection {
  /** Base of the Confluent-compatible API, e.g. http://127.0.0.1:18081/apis/ccompat/v7 */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
}

/** The schema registry connection of a topology, with its password resolved from env or file at call time. */
export function registryConnection(
  topology: Topology,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RegistryConnection {
  const { schemaRegistry } = topology;
  return {
    url: schemaRegistry.url,
    ...(schemaRegistry.username ? { username: schemaRegistry.username } : {}),
    ...(schemaRegistry.password
      ? { password: resolveSecret(schemaRegistry.password, 'schemaRegistry.password', env) }
      : {}),
  };
}
