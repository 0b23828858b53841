import type { Consumer, EachBatchPayload } from 'kafkajs';
import { BatchWindow, type BatchWindowPolicy, type CloseReason } from '../core/batch/batch-window.js';
import type { TransactionalSink } from '../adapters/kafka/transactional-sink.js';
import type { Logger } from '../adapters/observability/logger.js';
import type { PipelineMetrics } from '../adapters/observability/metrics.js';
import type { ConsumedRecord } from './consumed-record.js';
import { Microbatch } from './microbatch.js';
import { retryUntilDone, StoppedError } from './retry.js';
import type { BatchSummary, ScoreBatch, ScoredBatch } from './score-batch.js';

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
  /** Called after every committed batch (the demo's progress line, tests' accounting). */
  readonly onCommitted?: (
    summary: BatchSummary,
    batch: { id: string; closeReason: CloseReason; size: number; latencyMs: number },
  ) => void;
}

/** Errors after which this instance must not go on: another instance owns its transactional id. */
function isFatal(error: unknown): boolean {
  const type = (error as { type?: string } | null)?.type ?? '';
  return [
    'INVALID_PRODUCER_EPOCH',
    'PRODUCER_FENCED',
    'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    'INVALID_TXN_STATE',
  ].includes(type);
}

const HEARTBEAT_EVERY_MS = 1_000;

/**
 * The consume loop. kafkajs delivers fetched records per partition to eachBatch; records join the open microbatch,
 * which closes at maxRecords or maxWaitMs. The eachBatch call then waits until every batch holding its records is
 * committed, heartbeating meanwhile: kafkajs cannot finish a rebalance while a handler runs, so a partition is
 * never handed to another instance with records of it scored but not committed. A rebalance announced by the
 * heartbeat closes the open batch at once, so the group is not held up for a whole window.
 *
 * Two stages overlap: while batch N is being committed, batch N+1 is scored. Commits stay in batch order.
 */
export class Runner {
  private readonly window: BatchWindow;
  private open: Microbatch;
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private readonly closed: Microbatch[] = [];
  private wakeScoring: (() => void) | undefined;
  private stopping = false;
  private fatal: unknown;
  private scoringLoop: Promise<void> | undefined;
  private lastCommitAtMs: number;
  private lastFailure: { atMs: number; message: string } | undefined;
  private pendingCommit: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RunnerDeps) {
    this.window = new BatchWindow(deps.window);
    this.open = this.newBatch();
    this.lastCommitAtMs = deps.clock();
  }

  async start(): Promise<void> {
    const { consumer } = this.deps;
    for (const topic of this.deps.topics) await consumer.subscribe({ topic, fromBeginning: true });
    this.scoringLoop = this.runScoringLoop();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      // Every partition's handler may wait on the same open batch, so all of them must be able to run at once.
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.onFetched(payload),
    });
  }

  /** Flushes the open batch, waits for every commit, then leaves the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.close('shutdown');
    await this.drained();
    await this.deps.consumer.disconnect();
    this.wakeScoring?.();
    await this.scoringLoop;
    await this.deps.sink.disconnect();
  }

  /** Why /healthz should fail, if it should: a fatal error, or no successful commit while batches keep failing. */
  unhealthyReason(): string | null {
    if (this.fatal) return `fatal: ${(this.fatal as Error).message}`;
    if (
      this.lastFailure &&
      this.lastFailure.atMs > this.lastCommitAtMs &&
      this.deps.clock() - this.lastCommitAtMs > 30_000
    ) {
      return `no commit for ${Math.round((this.deps.clock() - this.lastCommitAtMs) / 1000)} s: ${this.lastFailure.message}`;
    }
    return null;
  }

  /** Resolves with the fatal error that ended this instance (the CLI exits non-zero on it). */
  readonly failed = new Promise<unknown>((resolve) => {
    this.reportFatal = resolve;
  });
  private reportFatal!: (error: unknown) => void;

  private newBatch(): Microbatch {
    this.sequence++;
    return new Microbatch(`${this.deps.batchIdPrefix}-${this.sequence}`);
  }

  private async onFetched(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    if (this.stopping || this.fatal || !isRunning() || isStale()) {
      // Not taken. With autoCommit off nothing is committed, so the next owner reads these records again.
      return;
    }
    const waitingFor = new Set<Microbatch>();
    for (const message of batch.messages) {
      const record: ConsumedRecord = {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
      };
      this.open.records.push(record);
      waitingFor.add(this.open);
      this.deps.metrics.recordsIn.inc({ topic: batch.topic });
      const full = this.window.add(1, this.deps.clock());
      if (full) this.close(full);
    }
    if (this.window.size() > 0 && !this.timer) this.armTimer();

    const all = Promise.all([...waitingFor].map((b) => b.committed));
    let settled = false;
    all.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      await Promise.race([
        all.catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, HEARTBEAT_EVERY_MS)),
      ]);
      if (settled) break;
      try {
        await heartbeat();
      } catch (error) {
        // A rebalance is under way: commit what we hold now rather than at the end of the window.
        this.deps.log.info({ err: (error as Error).message }, 'rebalance announced; closing the open batch early');
        if (this.open.records.some((r) => r.topic === batch.topic && r.partition === batch.partition))
          this.close('rebalance');
      }
    }
    await all;
  }

  private armTimer(): void {
    const delay = this.window.untilNext(this.deps.clock()) ?? this.deps.window.maxWaitMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const expired = this.window.expired(this.deps.clock());
      if (expired) this.close(expired);
      else if (this.window.size() > 0) this.armTimer();
    }, delay);
  }

  private close(reason: CloseReason): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.open.records.length === 0) return;
    const batch = this.open;
    batch.closeReason = reason;
    batch.closedAtMs = performance.now();
    this.closed.push(batch);
    this.open = this.newBatch();
    this.window.reset();
    this.wakeScoring?.();
  }

  private async drained(): Promise<void> {
    while (this.closed.length > 0 || this.open.records.length > 0) {
      this.close('shutdown');
      await Promise.allSettled(this.closed.map((b) => b.committed));
      await this.pendingCommit.catch(() => undefined);
      if (this.fatal) return;
    }
    await this.pendingCommit.catch(() => undefined);
  }

  private async runScoringLoop(): Promise<void> {
    for (;;) {
      const batch = this.closed[0];
      if (!batch) {
        if (this.stopping && this.open.records.length === 0) return;
        await new Promise<void>((resolve) => (this.wakeScoring = resolve));
        this.wakeScoring = undefined;
        continue;
      }
      try {
        const scored = await this.withRetry('score', () => this.deps.scoreBatch(batch.records, batch.id));
        // Scoring of the next batch may overlap this commit, but commits run strictly in order.
        const previous = this.pendingCommit;
        this.pendingCommit = previous.then(() => this.commit(batch, scored));
        await previous;
      } catch (error) {
        this.fail(batch, error);
      }
      this.closed.shift();
      if (this.fatal) return;
    }
  }

  private async commit(batch: Microbatch, scored: ScoredBatch): Promise<void> {
    try {
      const started = performance.now();
      await this.withRetry('commit', () => this.deps.sink.commitBatch(scored.outgoing));
      const now = performance.now();
      this.lastCommitAtMs = this.deps.clock();
      this.record(batch, scored.summary, now - started, now - batch.closedAtMs);
      batch.resolve();
    } catch (error) {
      this.fail(batch, error);
    }
  }

  private record(batch: Microbatch, summary: BatchSummary, commitMs: number, latencyMs: number): void {
    const { metrics } = this.deps;
    const closeReason = batch.closeReason ?? 'time';
    metrics.batches.inc({ close_reason: closeReason });
    metrics.batchSize.observe(batch.records.length);
    metrics.batchLatency.observe(latencyMs);
    for (const [stage, ms] of Object.entries(summary.stageMs)) metrics.stageLatency.observe({ stage }, ms);
    metrics.stageLatency.observe({ stage: 'commit' }, commitMs);
    for (const [decision, n] of Object.entries(summary.decisions)) if (n > 0) metrics.scored.inc({ decision }, n);
    for (const [reason, n] of Object.entries(summary.deadLetterReasons)) metrics.deadLettered.inc({ reason }, n);
    for (const [code, n] of Object.entries(summary.reasonCodes)) metrics.reasonCodes.inc({ code }, n);
    if (summary.labels > 0) metrics.labelsIngested.inc(summary.labels);
    this.deps.log.debug(
      { batchId: batch.id, closeReason, size: batch.records.length, latencyMs, stageMs: summary.stageMs },
      'batch committed',
    );
    this.deps.onCommitted?.(summary, { id: batch.id, closeReason, size: batch.records.length, latencyMs });
  }

  private withRetry<T>(stage: string, operation: () => Promise<T>): Promise<T> {
    return retryUntilDone(operation, {
      isFatal,
      // Shutting down does not abandon a batch: its records are already taken, so it is finished or the process dies.
      shouldStop: () => this.fatal !== undefined,
      onRetry: (error, attempt, delayMs) => {
        this.deps.metrics.errors.inc({ stage });
        this.deps.metrics.retries.inc();
        this.lastFailure = { atMs: this.deps.clock(), message: `${stage}: ${(error as Error).message}` };
        this.deps.log.warn({ stage, attempt, delayMs, err: (error as Error).message }, 'batch failed; retrying');
      },
    });
  }

  private fail(batch: Microbatch, error: unknown): void {
    if (!(error instanceof StoppedError) && !this.fatal) {
      this.fatal = error;
      this.deps.log.error({ err: (error as Error).message, batchId: batch.id }, 'fatal error; this instance stops');
      this.reportFatal(error);
    }
    batch.reject(error);
    for (const pending of this.closed) if (pending !== batch) pending.reject(error);
    this.open.reject(error);
  }
}
