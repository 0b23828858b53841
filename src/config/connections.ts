import type { RegistryConnection } from '../adapters/registry/serde.js';
import { resolveSecret } from './secrets.js';
import type { Topology } from './topology-schema.js';

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
