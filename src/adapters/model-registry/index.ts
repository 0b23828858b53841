export { ModelRegistryError, RegistryStorageError, type ModelRegistryErrorCode } from './errors.js';
export { FsRegistryStore } from './fs-store.js';
export { DEFAULT_REGISTRY_DIR, openFsRegistry, readModelDir } from './fs-registry.js';
export {
  CARD_FILE,
  CARD_MD_FILE,
  MODEL_FILE,
  ModelRegistry,
  sha256Hex,
  type LoadedModel,
  type LoadOptions,
  type ModelArtifacts,
  type ModelSummary,
  type RegisterResult,
  type ShownVersion,
  type VerifyReport,
} from './registry.js';
export { resolveModelRef } from './resolve-ref.js';
export type { RegistryStore } from './store.js';
