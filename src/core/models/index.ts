export { cardCaveats } from './caveats.js';
export {
  CARD_FORMAT,
  MODEL_NAME_PATTERN,
  MODEL_VERSION_PATTERN,
  modelCardSchema,
  parseModelCard,
  validateModelCard,
  type CardValidation,
  type MetricSet,
  type ModelCard,
} from './card.js';
export { diffCards, type CardDiff, type DiffRow, type DiffValue, type Scalar } from './diff.js';
export { CHAMPION, formatModelRef, parseModelRef, type ModelRef, type RefParse, type VersionSelector } from './ref.js';
export {
  addVersion,
  emptyIndex,
  findVersion,
  parseRegistryIndex,
  promote,
  referrersOf,
  REGISTRY_FORMAT,
  RegistryRefusal,
  registryIndexSchema,
  removeVersion,
  resolveVersion,
  serializeIndex,
  type IndexResult,
  type RegistryIndex,
  type VersionEntry,
} from './registry-index.js';
export { describeSummary, LONGEST_SHOWN_VALUE, summariseValue, type ValueSummary } from './value-summary.js';
export {
  ModelRejection,
  verifyCardSha,
  verifyFeatureSchema,
  verifyModel,
  verifyModelSha,
  type Verification,
} from './verification.js';
