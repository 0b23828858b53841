export {
  binnedReferenceSchema,
  DEFAULT_PSI_EPSILON,
  expectationSchema,
  monitoringReferenceSchema,
  REFERENCE_SCORE_SAMPLE_SIZE,
  type BinnedReference,
  type Expectation,
  type MonitoringReference,
} from './reference.js';
export { binCounts, binIndex, binnedReference, decileEdges, quantileSorted } from './binning.js';
export { psi } from './psi.js';
export { KS_MIN_EFFECTIVE_SIZE, ksPValue, ksStatistic } from './ks.js';
export {
  DriftWindow,
  SCORE_QUANTILES,
  validateDriftPolicy,
  type DriftSnapshot,
  type DriftWindowPolicy,
} from './drift-window.js';
export { calendarFeatureNames, isCalendarAggregation } from './drift-features.js';
export { groupByDecider, type DecidedRows } from './decided-rows.js';
export { aucVariance, hanleyMcNeilStandardError, pairedAuc, type PairedAuc } from './delong.js';
export {
  aucRoc,
  averagePrecision,
  cardPrecisionAtK,
  evaluationMetrics,
  standardErrors,
  type Decision,
  type EvaluationMetrics,
  type LabelledPrediction,
  type StandardErrors,
} from './eval-metrics.js';
export {
  compareWithExpectation,
  EXPECTED_METRICS,
  isMismatch,
  MISMATCH_Z,
  offlineStandardError,
  type Comparison,
  type LiveFigure,
} from './expectations.js';
export { foldLabelReport, labelOf, type LabelClock, type LabelView } from './label-rule.js';
export { READER_SILENCE_LIMIT_MS, readerSilence, type FollowingReader } from './reader-silence.js';
