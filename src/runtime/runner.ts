import type { Consumer, EachBatchPayload } from 'kafkajs';
import { closeReason, untilExpiry, type BatchWindowPolicy, type CloseReason } from '../core/batch/batch-window.js';
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
  readonly topics: readonly string[];
  readonly batchIdPrefix: string;
  readonly log: Logger;
  readonly metrics: PipelineMetrics;
  readonly clock: () => number;
  /** Called after every committed batch (the demo's progress line, benchmarks' accounting). */
  readonly onCommitted?: (summary: BatchSummary, batch: CommittedBatch) => void;
}

/** Errors after which this instance must not go on: another instance owns its transactional id. */
function isFatal(error: unknown): boolean {
  const type = (error as { type?: string } | null)?.type ?? '';
  return ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'].includes(type);
}

const HEARTBEAT_EVERY_MS = 1_000;

interface Chunk {
  readonly records: readonly ConsumedRecord[];
  readonly arrivedAtMs: number;
  /** Records of this chunk already taken into a batch. */
  taken: number;
}

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
  private readonly intake: Chunk[] = [];
  private waiting = 0;
  private readonly waiters = new CommitWaiters();
  private forced: CloseReason | undefined;
  private wake: (() => void) | undefined;
  private sequence = 0;
  private stopping = false;
  private fatal: unknown;
  private loop: Promise<void> | undefined;
  private pendingCommit: Promise<void> = Promise.resolve();
  private lastCommitAtMs: number;
  private lastFailure: { atMs: number; message: string } | undefined;
  private reportFatal!: (error: unknown) => void;
  /** Resolves with the fatal error that ended this instance (the CLI exits non-zero on it). */
  readonly failed = new Promise<unknown>((resolve) => (this.reportFatal = resolve));

  constructor(private readonly deps: RunnerDeps) {
    this.lastCommitAtMs = deps.clock();
  }

  async start(): Promise<void> {
    const { consumer } = this.deps;
    for (const topic of this.deps.topics) await consumer.subscribe({ topic, fromBeginning: true });
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
    this.intake.push({ records, arrivedAtMs: this.deps.clock(), taken: 0 });
    this.waiting += records.length;
    this.deps.metrics.recordsIn.inc({ topic: batch.topic }, records.length);
    this.nudge();

    const lastOffset = BigInt((records[records.length - 1] as ConsumedRecord).offset);
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

  /** Takes up to n records from the intake, oldest first. */
  private take(n: number): ConsumedRecord[] {
    const taken: ConsumedRecord[] = [];
    while (taken.length < n && this.intake.length > 0) {
      const chunk = this.intake[0] as Chunk;
      const count = Math.min(n - taken.length, chunk.records.length - chunk.taken);
      for (let i = 0; i < count; i++) taken.push(chunk.records[chunk.taken + i] as ConsumedRecord);
      chunk.taken += count;
      if (chunk.taken === chunk.records.length) this.intake.shift();
    }
    this.waiting -= taken.length;
    return taken;
  }

  private async formBatches(): Promise<void> {
    while (!this.fatal) {
      const intake = { waiting: this.waiting, oldestArrivalMs: this.intake[0]?.arrivedAtMs };
      const reason =
        (this.waiting > 0 ? this.forced : undefined) ?? closeReason(this.deps.window, intake, this.deps.clock());
      if (!reason) {
        if (this.waiting === 0) this.forced = this.stopping ? 'shutdown' : undefined;
        if (this.stopping && this.waiting === 0) break;
        const delay = untilExpiry(this.deps.window, intake, this.deps.clock());
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          if (delay !== undefined) timer = setTimeout(resolve, delay);
        });
        clearTimeout(timer);
        continue;
      }
      const records = this.take(this.deps.window.maxRecords);
      const id = `${this.deps.batchIdPrefix}-${++this.sequence}`;
      const closedAt = performance.now();
      try {
        const scored = await this.withRetry('score', () => this.deps.scoreBatch(records, id));
        // Scoring the next batch may overlap this commit, but commits run strictly in order.
        const previous = this.pendingCommit;
        this.pendingCommit = previous.then(() =>
          this.commit({ id, closeReason: reason, size: records.length, closedAt }, scored),
        );
        await previous;
      } catch (error) {
        this.fail(id, error);
      }
    }
    await this.pendingCommit;
  }

  private async commit(
    batch: { id: string; closeReason: CloseReason; size: number; closedAt: number },
    scored: ScoredBatch,
  ): Promise<void> {
    if (this.fatal) return;
    try {
      const started = performance.now();
      await this.withRetry('commit', () => this.deps.sink.commitBatch(scored.outgoing));
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
