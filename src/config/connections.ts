import { resolveSecret } from './secrets.js';
import type { Topology } from './topology-schema.js';

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
