import type { LabelEvent, PositionedTransaction } from '../contract/events.js';

/** The ordered feature vector a model is trained on and served with. */
export interface FeatureSchema {
  /** Changes whenever a definition, window, delay or the order changes; written into every output and training table. */
  readonly version: string;
  /** Feature names in model input order. */
  readonly names: readonly string[];
}

export interface FeatureRow {
  /** Values in schema order; always finite (a missing or non-finite value is replaced by its declared default). */
  readonly values: Float64Array;
  /** Names of the features that were replaced by their declared default. */
  readonly imputed: readonly string[];
}

/**
 * Runs the feature definitions against a state backend (Redis online, memory in the backfill).
 * The runner and the backfill both call exactly this; there is no other feature code path.
 */
export interface FeatureEngine {
  readonly schema: FeatureSchema;
  /**
   * How far back in event time, behind an entity's newest event, the features can look (largest window + delay +
   * lateness margin). State older than that is trimmed; the online store uses it as the TTL of its keys.
   */
  readonly retentionMs: number;
  /**
   * Featurise records in log order and record them into the state, so that later records (of this batch and of
   * later batches) see them. Replaying the same records (same positions) gives the same rows and leaves the state
   * as it was: a batch retried after an aborted transaction is harmless.
   */
  featurize(batch: readonly PositionedTransaction[]): Promise<FeatureRow[]>;
  /** Record labels; a label only affects features of transactions at or after its reportedAtMs. Idempotent. */
  ingestLabels(labels: readonly LabelEvent[]): Promise<void>;
}
