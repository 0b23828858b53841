/**
 * The backfill: historical events and labels in, a point-in-time correct training table and its manifest out,
 * through the same feature engine as the online runner (docs/features.md). The CLI command is a thin shell over
 * runBackfill().
 */
export { runBackfill, type BackfillResult } from './run.js';
export { parseTimeOption, DEFAULT_BATCH_SIZE, type BackfillOptions } from './options.js';
export { DEFAULT_TABLE_FORMAT, TableFormat, isTableFormat } from './table-format.js';
export type { BackfillManifest } from './manifest.js';
export {
  fileLabelSource,
  fileTransactionSource,
  formatOf,
  type InputFingerprint,
  type LabelSource,
  type SourceFingerprint,
  type TopicFingerprint,
  type TransactionSource,
} from './sources.js';
export { kafkaLabelSource, kafkaTransactionSource, type KafkaSourceOptions } from './kafka-source.js';
export type { InputFormat } from './record-parsers.js';
export { EVENT_COLUMNS, LABEL_COLUMNS } from './record-parsers.js';
export { BackfillEmptyError, BackfillInputError, BackfillOptionError } from './errors.js';
export { splitOf, splitBucket, type Split } from './split.js';
export { rebuildState, type RebuildOptions, type RebuildProgress, type RebuildResult } from './rebuild.js';
