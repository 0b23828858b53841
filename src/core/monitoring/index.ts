export {
  binnedReferenceSchema,
  DEFAULT_PSI_EPSILON,
  monitoringReferenceSchema,
  REFERENCE_SCORE_SAMPLE_SIZE,
  type BinnedReference,
  type MonitoringReference,
} from './reference.js';
