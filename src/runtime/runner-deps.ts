import type { Consumer } from 'kafkajs';
import type { BatchWindowPolicy, CloseReason } from '../core/batch/batch-window.js';
import type { AlignmentPolicy } from '../core/batch/event-time-alignment.js';
import type { WatermarkStore } from '../adapters/redis/watermark-store.js';
import type { TransactionalSink } from '../adapters/kafka/transactional-sink.js';
import type { Logger } from '../adapters/observability/logger.js';
import type { PipelineMetrics } from '../adapters/observability/metrics.js';
import type { ConsumedRecord } from './consumed-record.js';
import type { StallDetection } from './membership-lease.js';
import type { BatchSummary, ScoreBatch } from './score-batch.js';

export interface CommittedBatch {
  readonly id: string;
  readonly closeReason: CloseReason;
  readonly size: number;
  /** Batch closed (taken for scoring) to its transaction committed. */
  readonly latencyMs: number;
  /** The commit alone: begin, produce, offsets, commit (retries included). */
  readonly commitMs: number;
}

export interface RunnerDeps {
  readonly consumer: Consumer;
  readonly sink: TransactionalSink;
  readonly scoreBatch: ScoreBatch;
  readonly window: BatchWindowPolicy;
  /**
   * The batch boundary: called before each batch is formed (and while idle, at least every CONTROL_POLL_MS), where
   * control changes (models, kill switch, batch window) are applied; returns the window to use instead of `window`.
   */
  readonly beforeBatch?: () => BatchWindowPolicy;
  readonly topics: readonly string[];
  readonly batchIdPrefix: string;
  readonly log: Logger;
  readonly metrics: PipelineMetrics;
  readonly clock: () => number;
  /** Called after every committed batch (the demo's progress line, benchmarks' accounting). */
  readonly onCommitted?: (summary: BatchSummary, batch: CommittedBatch) => void;
  /**
   * A batch is committed only if the group answered a heartbeat within this long (the session timeout less a
   * margin): past it the coordinator may have expelled this member (a process stalled longer than its session) and
   * given its partitions to another, which reads them from the committed offsets. kafkajs sends offsets in the
   * transaction without the group generation (TxnOffsetCommit v0/v1, no KIP-447 fencing), so nothing else would stop
   * such a commit from duplicating that member's outputs.
   */
  readonly membershipLeaseMs?: number;
  /** How the lease tells a standstill of this process (default: DEFAULT_STALL_DETECTION; see membership-lease.ts). */
  readonly stallDetection?: StallDetection;
  readonly labelsTopic: string;
  /** Checks the feature state against the group's committed offsets when partitions are assigned (state-check.ts). */
  readonly checkState?: (assignment: Readonly<Record<string, number[]>>) => Promise<void>;
  /** Decodes arriving records (keeping the result on them) and returns each one's event time, if usable. */
  readonly timeOf: (records: ConsumedRecord[], topic: string) => Promise<(number | undefined)[]>;
  /** Event-time alignment across partitions and workers; without it, batches take records in arrival order. */
  readonly alignment?: {
    readonly policy: AlignmentPolicy;
    readonly store: WatermarkStore;
    /** Every partition of the input and labels topics, as "<topic>:<partition>". */
    readonly inputKeys: readonly string[];
    readonly labelKeys: readonly string[];
    /**
     * For newly assigned partitions: those the group has consumed all of (committed offset at the end), with that end
     * offset, by "<topic>:<partition>".
     */
    readonly caughtUp: (assignment: Readonly<Record<string, number[]>>) => Promise<Map<string, number>>;
    /** The end offset of every partition of the input and labels topics, read now. */
    readonly endOffsets: () => Promise<Map<string, number>>;
  };
  /**
   * How many fetched records may wait in the intake before eachBatch handlers hold the fetch loop (default: two
   * batches). Below it, handlers return at once so that a live stream keeps flowing while a window gathers.
   */
  readonly intakeCapacity?: number;
}
