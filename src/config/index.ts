export { loadTopology, parseTopology, TopologyError } from './load-topology.js';
export {
  registryUrlSchema,
  topologySchema,
  topologyJsonSchema,
  type Topology,
  type SecretRef,
  type Contract,
} from './topology-schema.js';
export { interpolateEnv, MissingEnvironmentError, type MissingVariable } from './interpolate.js';
export { resolveSecret } from './secrets.js';
export {
  displayUrl,
  findInlineCredential,
  inlineCredentialMessage,
  type InlineCredential,
} from './inline-credentials.js';
export { labelDelayMsOf, topologyFeatureSchema } from './feature-settings.js';
export { isolateTopology, type IsolationOverrides } from './isolate.js';
export {
  connectDirectly,
  registryConnection,
  type Connecting,
  type KafkaConnection,
  type RegistryConnection,
  type StartupService,
} from './connections.js';
