import type { LabelEvent, LogPosition, PositionedTransaction } from '../contract/events.js';
import type { PartitionProgress } from './state-port.js';

/** The ordered feature vector a model is trained on and served with. */
export interface FeatureSchema {
  /** Changes whenever a definition, window, delay or the order changes; written into every output and training table. */
  readonly version: string;
  /** Feature names in model input order. */
  readonly names: readonly string[];
}

export interface FeatureRow {
  /**
   * Values in schema order; always finite (a missing or non-finite value is replaced by its declared default).
   * Empty for a duplicate.
   */
  readonly values: Float64Array;
  /** Names of the features that were replaced by their declared default. */
  readonly imputed: readonly string[];
  /**
   * Set when the record repeats a transaction id first recorded at this position (within the duplicate horizon):
   * the record was not featurised and left the state untouched.
   */
  readonly duplicateOf?: LogPosition;
}

/** Consumed offsets [from, to) of an input partition (what the batch makes the state absorb). */
export type ConsumedRange = Omit<PartitionProgress, 'expected'>;

/**
 * Runs the feature definitions against a state backend (Redis online, memory in the backfill).
 * The runner and the backfill both call exactly this; there is no other feature code path.
 */
export interface FeatureEngine {
  readonly schema: FeatureSchema;
  /**
   * How far back in event time, behind an entity's newest event, the features can look (largest window + delay +
   * lateness margin). State older than that is trimmed. The online store's TTLs are sized from the longer state
   * horizon (featureStateHorizonMs), which adds the skew event-time alignment allows between workers.
   */
  readonly retentionMs: number;
  /**
   * Featurise records in log order and record them into the state, so that later records (of this batch and of
   * later batches) see them. Replaying the same records (same positions) gives the same rows and leaves the state
   * as it was: a batch retried after an aborted transaction is harmless. `consumed` (online) names the input offsets
   * the batch consumed: the state's absorbed-offset marker moves with the batch's updates, and a state that lost
   * what it had absorbed is refused (FeatureStateBehindError) before anything is written.
   *
   * `replayableFromMs` (online): the oldest event time among records that earlier calls recorded and that may be
   * featurised again, because their batch's outcome is not committed yet (the runner commits one batch while it
   * featurises the next; a rebalance or a give-back before that commit hands them to a replay). Trims stay below their
   * windows: a replayed record does not count the records after it in its partition, so the engine's own bound
   * (customer-windows.ts) does not cover cutoffs those raised. Default Infinity: nothing recorded before is replayed.
   */
  featurize(
    batch: readonly PositionedTransaction[],
    consumed?: readonly ConsumedRange[],
    replayableFromMs?: number,
  ): Promise<FeatureRow[]>;
  /**
   * The state must have absorbed the input partition up to this offset (the consumer group's committed offset, known
   * at partition assignment): the next write that consumes the partition is refused (FeatureStateBehindError) unless
   * the state's marker is at least there.
   */
  expectAbsorbed(partition: number, offset: number): void;
  /** Record labels; a label only affects features of transactions at or after its reportedAtMs. Idempotent. */
  ingestLabels(labels: readonly LabelEvent[]): Promise<void>;
}
