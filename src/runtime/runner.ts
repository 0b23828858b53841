import type { Consumer, EachBatchPayload } from 'kafkajs';
import { closeReason, untilExpiry, type BatchWindowPolicy, type CloseReason } from '../core/batch/batch-window.js';
import type { AlignmentPolicy } from '../core/batch/event-time-alignment.js';
import type { WatermarkStore } from '../adapters/redis/watermark-store.js';
import { selectBatch } from './batch-selection.js';
import { PartitionQueue, type WaitingRecord } from './intake.js';
import type { TransactionalSink } from '../adapters/kafka/transactional-sink.js';
import type { Logger } from '../adapters/observability/logger.js';
import type { PipelineMetrics } from '../adapters/observability/metrics.js';
import { CommitWaiters } from './commit-waiters.js';
import type { ConsumedRecord } from './consumed-record.js';
import { retryUntilDone } from './retry.js';
import type { BatchSummary, ScoreBatch, ScoredBatch } from './score-batch.js';

export interface CommittedBatch {
  readonly id: string;
  readonly closeReason: CloseReason;
  readonly size: number;
  /** Batch closed (taken for scoring) to its transaction committed. */
  readonly latencyMs: number;
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
  readonly labelsTopic: string;
  /** Decodes arriving records (keeping the result on them) and returns each one's event time, if usable. */
  readonly timeOf: (records: ConsumedRecord[], topic: string) => Promise<(number | undefined)[]>;
  /** Event-time alignment across partitions and workers; without it, batches take records in arrival order. */
  readonly alignment?: {
    readonly policy: AlignmentPolicy;
    readonly store: WatermarkStore;
    /** Every partition of the input and labels topics, as "<topic>:<partition>". */
    readonly inputKeys: readonly string[];
    readonly labelKeys: readonly string[];
    /** For newly assigned partitions: has the group consumed all there is (committed offset at the end)? */
    readonly caughtUp: (assignment: Readonly<Record<string, number[]>>) => Promise<Set<string>>;
  };
}

/** Errors after which this instance must not go on: another instance owns its transactional id. */
function isFatal(error: unknown): boolean {
  const type = (error as { type?: string } | null)?.type ?? '';
  return ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'].includes(type);
}

const HEARTBEAT_EVERY_MS = 1_000;
/** While alignment holds every waiting record back, how often to look at the other workers' bounds again. */
const ALIGNMENT_POLL_MS = 100;
/** While idle, how often to publish this worker's event-time bounds for the others. */
const IDLE_PUBLISH_MS = 250;
/** While idle, how often the batch boundary is passed anyway, so a control change is applied without traffic. */
const CONTROL_POLL_MS = 500;

/**
 * The consume loop. kafkajs hands fetched records to eachBatch, per partition; they join the intake, and the
 * eachBatch call then waits until they are committed, heartbeating meanwhile. kafkajs finishes running handlers
 * before it rejoins a rebalancing group, so a partition is never handed to another instance while records of it are
 * scored but not committed; a rebalance announced by the heartbeat flushes the intake at once instead of holding the
 * group for a whole window.
 *
 * A batch is formed when the scorer is free: maxRecords records, or whatever waits once the oldest has waited
 * maxWaitMs. Scoring batch N+1 overlaps committing batch N; commits stay in order.
 */
export class Runner {
  private readonly queues = new Map<string, PartitionQueue>();
  private waiting = 0;
  private blockedSinceMs: number | undefined;
  /** Bumped when the group rebalances: a batch formed before must not be committed after. */
  private epoch = 0;
  private readonly waiters = new CommitWaiters();
  private forced: CloseReason | undefined;
  private wake: (() => void) | undefined;
  private sequence = 0;
  private stopping = false;
  private fatal: unknown;
  private loop: Promise<void> | undefined;
  private pendingCommit: Promise<void> = Promise.resolve();
  private lastCommitAtMs: number;
  /** When the group coordinator last answered a heartbeat (or a join) of this member. */
  private lastHeartbeatMs: number;
  private joined = false;
  private lastFailure: { atMs: number; message: string } | undefined;
  private reportFatal!: (error: unknown) => void;
  /** Resolves with the fatal error that ended this instance (the CLI exits non-zero on it). */
  readonly failed = new Promise<unknown>((resolve) => (this.reportFatal = resolve));

  constructor(private readonly deps: RunnerDeps) {
    this.lastCommitAtMs = deps.clock();
    this.lastHeartbeatMs = deps.clock();
  }

  async start(): Promise<void> {
    const { consumer } = this.deps;
    for (const topic of this.deps.topics) await consumer.subscribe({ topic, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.lastHeartbeatMs = this.deps.clock();
      // kafkajs rejoins without a REBALANCING event when the coordinator no longer knows this member (expelled after
      // a stall longer than the session): what was fetched in the previous generation is stale then too.
      if (this.joined) this.onRebalancing();
      this.joined = true;
      void this.onAssigned(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.HEARTBEAT, () => (this.lastHeartbeatMs = this.deps.clock()));
    consumer.on(consumer.events.REBALANCING, () => this.onRebalancing());
    this.loop = this.formBatches();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      // Every partition's handler waits for its commit, so all of them must be able to run at once.
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.onFetched(payload),
    });
  }

  /** Scores and commits everything taken, then leaves the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.forced = 'shutdown';
    this.nudge();
    await this.loop;
    await this.deps.consumer.disconnect();
    await this.deps.sink.disconnect();
  }

  /** Why /healthz should fail, if it should: a fatal error, or batches failing with no commit for 30 s. */
  unhealthyReason(): string | null {
    if (this.fatal) return `fatal: ${(this.fatal as Error).message}`;
    const sinceCommitMs = this.deps.clock() - this.lastCommitAtMs;
    if (this.lastFailure && this.lastFailure.atMs > this.lastCommitAtMs && sinceCommitMs > 30_000) {
      return `no commit for ${Math.round(sinceCommitMs / 1000)} s: ${this.lastFailure.message}`;
    }
    return null;
  }

  private nudge(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async onFetched(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    if (this.stopping || this.fatal || !isRunning() || isStale() || batch.messages.length === 0) {
      // Not taken. With autoCommit off nothing is committed, so the next owner reads these records again.
      return;
    }
    const records: ConsumedRecord[] = batch.messages.map((message) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
    }));
    const times = await this.deps.timeOf(records, batch.topic);
    const arrivedAtMs = this.deps.clock();
    const queue = this.queueFor(batch.topic, batch.partition);
    const lastOffset = BigInt((records[records.length - 1] as ConsumedRecord).offset);
    queue.push(
      records.map((record, i) => ({ record, timeMs: times[i], arrivedAtMs })),
      // offsetLag counts control records (transaction markers) too, which never reach eachBatch: a partition whose
      // log ends in a commit marker is still read to its end.
      batch.offsetLag() === '0',
      batch.topic === this.deps.labelsTopic ? 0 : (this.deps.alignment?.policy.latenessMs ?? 0),
    );
    this.waiting += records.length;
    this.deps.metrics.recordsIn.inc({ topic: batch.topic }, records.length);
    this.nudge();

    const committed = this.waiters.waitFor(batch.topic, batch.partition, lastOffset + 1n);
    let settled = false;
    committed.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        committed.catch(() => undefined),
        new Promise((r) => (timer = setTimeout(r, HEARTBEAT_EVERY_MS))),
      ]);
      clearTimeout(timer);
      if (settled) break;
      try {
        await heartbeat();
      } catch (error) {
        // A rebalance is under way: commit what is held now rather than at the end of the window.
        this.deps.log.info({ err: (error as Error).message }, 'rebalance announced; flushing the intake early');
        this.forced ??= 'rebalance';
        this.nudge();
      }
    }
    await committed;
  }

  private queueFor(topic: string, partition: number): PartitionQueue {
    const key = `${topic}:${partition}`;
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = new PartitionQueue(topic, partition)));
    return queue;
  }

  /** New assignment: forget partitions given away (nothing of them waits: handlers finish before a rejoin). */
  private async onAssigned(assignment: Record<string, number[]>): Promise<void> {
    const assigned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}:${p}`)),
    );
    for (const [key, queue] of this.queues) if (!assigned.has(key) && queue.size === 0) this.queues.delete(key);
    if (!this.deps.alignment) return;
    // A partition with nothing to read is never fetched: say so, or it would hold every worker back.
    const caughtUp = await this.deps.alignment.caughtUp(assignment).catch((error: unknown) => {
      this.deps.log.warn(
        { err: (error as Error).message },
        'could not check assigned partitions; they count as unknown',
      );
      return new Set<string>();
    });
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const queue = this.queueFor(topic, partition);
        if (queue.size === 0 && queue.maxSeenMs === undefined && caughtUp.has(queue.key)) queue.caughtUp = true;
      }
    }
    this.nudge();
  }

  /**
   * kafkajs is about to rejoin the group (no eachBatch handler is running then: it only rejoins between fetch
   * rounds). After the rejoin every partition is read again from its committed offset, so records still waiting
   * here are dropped, and a batch not yet committed is not committed at all (another member may own its partitions
   * by then).
   */
  private onRebalancing(): void {
    this.epoch++;
    let dropped = 0;
    for (const queue of this.queues.values()) {
      dropped += queue.size;
      while (queue.size > 0) queue.shift();
    }
    this.waiting = 0;
    this.waiters.releasePending();
    this.deps.log.info(
      { dropped },
      'group rebalancing: uncommitted records dropped, to be read again after the rejoin',
    );
  }

  private giveBack(why: string): void {
    this.deps.log.info({ waiting: this.waiting }, why);
    for (const queue of this.queues.values()) while (queue.size > 0) queue.shift();
    this.waiting = 0;
    this.waiters.rejectPending(new Error(why));
  }

  private oldestArrivalMs(): number | undefined {
    let oldest: number | undefined;
    for (const queue of this.queues.values()) {
      const arrived = queue.oldestArrivalMs();
      if (arrived !== undefined && (oldest === undefined || arrived < oldest)) oldest = arrived;
    }
    return oldest;
  }

  private async publishBounds(): Promise<Map<string, number>> {
    const alignment = this.deps.alignment;
    if (!alignment) return new Map();
    const own = new Map<string, number>();
    for (const queue of this.queues.values()) {
      const latenessMs = queue.topic === this.deps.labelsTopic ? 0 : alignment.policy.latenessMs;
      own.set(queue.key, queue.bound(latenessMs).lowerBoundMs);
    }
    await alignment.store.publish(own);
    const published = await alignment.store.readAll();
    for (const key of own.keys()) published.delete(key);
    return published;
  }

  /** Takes the next batch; with alignment, only records whose features' inputs are all in the state. */
  private async take(n: number): Promise<ConsumedRecord[]> {
    const alignment = this.deps.alignment;
    const published = await this.withRetry('align', () => this.publishBounds());
    const taken: WaitingRecord[] = selectBatch(
      this.queues,
      this.deps.labelsTopic,
      n,
      alignment
        ? { policy: alignment.policy, inputKeys: alignment.inputKeys, labelKeys: alignment.labelKeys, published }
        : undefined,
    );
    this.waiting -= taken.length;
    return taken.map((waiting) => waiting.record);
  }

  private async formBatches(): Promise<void> {
    while (!this.fatal) {
      const window = this.deps.beforeBatch?.() ?? this.deps.window;
      const intake = { waiting: this.waiting, oldestArrivalMs: this.oldestArrivalMs() };
      const reason = (this.waiting > 0 ? this.forced : undefined) ?? closeReason(window, intake, this.deps.clock());
      if (!reason) {
        if (this.waiting === 0) this.forced = this.stopping ? 'shutdown' : undefined;
        if (this.stopping && this.waiting === 0) break;
        let delay = untilExpiry(window, intake, this.deps.clock());
        if (this.deps.beforeBatch) delay = Math.min(delay ?? CONTROL_POLL_MS, CONTROL_POLL_MS);
        if (this.deps.alignment) {
          // Idle here does not mean idle everywhere: keep telling the other workers how far this one's partitions
          // are (a partition read to its end holds nobody back), and everything taken so far is featurised.
          await this.publishBounds().catch((error: unknown) =>
            this.deps.log.warn({ err: (error as Error).message }, 'could not publish event-time bounds'),
          );
          delay = Math.min(delay ?? IDLE_PUBLISH_MS, IDLE_PUBLISH_MS);
        }
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          if (delay !== undefined) timer = setTimeout(resolve, delay);
        });
        clearTimeout(timer);
        continue;
      }
      const records = await this.take(window.maxRecords).catch((error: unknown) => {
        this.fail('align', error);
        return [];
      });
      if (records.length === 0 && reason !== 'size' && reason !== 'time') {
        // Shutdown or rebalance while alignment holds records back: give them back uncommitted. Their handlers fail,
        // so kafkajs does not count them as consumed, and the partition's next owner reads them again.
        this.giveBack(`records held back by event-time alignment are left for the next owner (${reason})`);
        continue;
      }
      if (records.length === 0) {
        // Everything waiting is held back by event-time alignment: what unblocks it must still be fetched, and kafkajs
        // fetches the next round only when every eachBatch handler has returned. So, once nothing is in flight, the
        // handlers are let go uncommitted (kafkajs commits nothing itself); the records stay here until they can go.
        await this.pendingCommit;
        this.waiters.releasePending();
        this.blockedSinceMs ??= this.deps.clock();
        this.deps.log.debug(
          {
            waiting: this.waiting,
            queues: [...this.queues.values()].map((q) => [q.key, q.size, q.maxSeenMs, q.caughtUp]),
          },
          'held back by event-time alignment',
        );
        if (this.deps.clock() - this.blockedSinceMs > 30_000) {
          this.deps.log.warn(
            { waiting: this.waiting },
            'records held back for 30 s by event-time alignment: is a partition without an owner?',
          );
          this.blockedSinceMs = this.deps.clock();
        }
        await new Promise((resolve) => setTimeout(resolve, ALIGNMENT_POLL_MS));
        continue;
      }
      this.blockedSinceMs = undefined;
      const epoch = this.epoch;
      const id = `${this.deps.batchIdPrefix}-${++this.sequence}`;
      const closedAt = performance.now();
      try {
        const scored = await this.withRetry('score', () => this.deps.scoreBatch(records, id));
        // Scoring the next batch may overlap this commit, but commits run strictly in order.
        const previous = this.pendingCommit;
        this.pendingCommit = previous.then(() =>
          this.commit({ id, closeReason: reason, size: records.length, closedAt, epoch }, scored),
        );
        await previous;
      } catch (error) {
        this.fail(id, error);
      }
    }
    await this.pendingCommit;
  }

  private async commit(
    batch: { id: string; closeReason: CloseReason; size: number; closedAt: number; epoch: number },
    scored: ScoredBatch,
  ): Promise<void> {
    if (this.fatal) return;
    if (batch.epoch !== this.epoch) {
      this.deps.log.info(
        { batchId: batch.id },
        'batch formed before a rebalance is not committed; its records are read again',
      );
      return;
    }
    try {
      const started = performance.now();
      const lease = this.deps.membershipLeaseMs;
      // Checked before every attempt: a commit retried through a broker outage may outlive the membership.
      const outcome = await this.withRetry('commit', async () => {
        if (batch.epoch !== this.epoch) return 'rebalanced';
        if (lease !== undefined && this.deps.clock() - this.lastHeartbeatMs > lease) return 'lapsed';
        await this.deps.sink.commitBatch(scored.outgoing);
        return 'committed';
      });
      if (outcome === 'rebalanced') {
        this.deps.log.info(
          { batchId: batch.id },
          'batch formed before a rebalance is not committed; its records are read again',
        );
        return;
      }
      if (outcome === 'lapsed') {
        // As after a rebalance: nothing formed so far is committed; the partitions' owner reads the records again.
        this.epoch++;
        this.giveBack(
          `no heartbeat answered for over ${lease} ms: this member may have been expelled, so batch ${batch.id} ` +
            "is not committed and uncommitted records are left to the partitions' owner",
        );
        return;
      }
      const now = performance.now();
      this.lastCommitAtMs = this.deps.clock();
      this.waiters.markCommitted(scored.outgoing.offsets);
      this.record(
        { id: batch.id, closeReason: batch.closeReason, size: batch.size, latencyMs: now - batch.closedAt },
        scored.summary,
        now - started,
      );
    } catch (error) {
      this.fail(batch.id, error);
    }
  }

  private record(batch: CommittedBatch, summary: BatchSummary, commitMs: number): void {
    const { metrics } = this.deps;
    metrics.batches.inc({ close_reason: batch.closeReason });
    metrics.batchSize.observe(batch.size);
    metrics.batchLatency.observe(batch.latencyMs);
    for (const [stage, ms] of Object.entries(summary.stageMs)) metrics.stageLatency.observe({ stage }, ms);
    metrics.stageLatency.observe({ stage: 'commit' }, commitMs);
    for (const [decision, n] of Object.entries(summary.decisions)) if (n > 0) metrics.scored.inc({ decision }, n);
    for (const [reason, n] of Object.entries(summary.deadLetterReasons)) metrics.deadLettered.inc({ reason }, n);
    for (const [code, n] of Object.entries(summary.reasonCodes)) metrics.reasonCodes.inc({ code }, n);
    if (summary.labels > 0) metrics.labelsIngested.inc(summary.labels);
    this.deps.log.debug({ ...batch, stageMs: summary.stageMs }, 'batch committed');
    this.deps.onCommitted?.(summary, batch);
  }

  private withRetry<T>(stage: string, operation: () => Promise<T>): Promise<T> {
    return retryUntilDone(operation, {
      isFatal,
      // Stopping does not abandon a batch: its records are taken, so it is finished or the process dies.
      shouldStop: () => this.fatal !== undefined,
      onRetry: (error, attempt, delayMs) => {
        this.deps.metrics.errors.inc({ stage });
        this.deps.metrics.retries.inc();
        this.lastFailure = { atMs: this.deps.clock(), message: `${stage}: ${(error as Error).message}` };
        this.deps.log.warn({ stage, attempt, delayMs, err: (error as Error).message }, 'batch failed; retrying');
      },
    });
  }

  private fail(batchId: string, error: unknown): void {
    if (this.fatal) return;
    this.fatal = error;
    this.deps.log.error({ err: (error as Error).message, batchId }, 'fatal error; this instance stops');
    this.waiters.failAll(error);
    this.reportFatal(error);
    this.nudge();
  }
}
