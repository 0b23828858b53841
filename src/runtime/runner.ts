import type { EachBatchPayload } from 'kafkajs';
import { ConsumerReruns, consumerGivenUp, warnOfRerun } from '../adapters/kafka/consumer-give-up.js';
import { onBatchWithoutRecords, type ReadWithoutRecords } from '../adapters/kafka/stream-partitions.js';
import { closeReason, untilExpiry, type CloseReason } from '../core/batch/batch-window.js';
import type { AlignmentPolicy, PartitionBound } from '../core/batch/event-time-alignment.js';
import { selectBatch } from './batch-selection.js';
import { ConsumerLagSeries } from './consumer-lag.js';
import { LoopProgress } from './loop-progress.js';
import { recordCommittedBatch } from './committed-batch-metrics.js';
import { PartitionQueue, type WaitingRecord } from './intake.js';
import { IntakePauses, partitionsToPause } from './intake-pauses.js';
import { withTimeout } from './timeout.js';
import type { ConsumedRecord } from './consumed-record.js';
import { ReplayFloor } from './replay-floor.js';
import { retryUntilDone, StoppedError } from './retry.js';
import { MembershipLease } from './membership-lease.js';
import type { CommittedBatch, RunnerDeps } from './runner-deps.js';
import type { ScoredBatch } from './score-batch.js';

const FATAL_ERROR_TYPES: readonly unknown[] = [
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
];

/**
 * Errors after which this instance must not go on: another instance owns its transactional id. kafkajs's retrier
 * hands a protocol error it does not retry on wrapped (KafkaJSNonRetriableError, with no type of its own), so the
 * causes are read too.
 */
export function isFatal(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (FATAL_ERROR_TYPES.includes((current as { type?: unknown }).type)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const HEARTBEAT_EVERY_MS = 1_000;
/** While alignment holds every waiting record back, how often to look at the other workers' bounds again. */
const ALIGNMENT_POLL_MS = 100;
/** While idle, how often to publish this worker's event-time bounds for the others. */
const IDLE_PUBLISH_MS = 250;
/** Backoff for what a handler or an assignment retries (decoding's registry look-ups, the caught-up check). */
const RETRY_INITIAL_MS = 100;
const RETRY_MAX_MS = 2_000;
/** Decoding arriving records asks the registry only for schema ids it has not seen: seconds at most when healthy. */
const DECODE_TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** While idle, how often the batch boundary is passed anyway, so a control change is applied without traffic. */
const CONTROL_POLL_MS = 500;

/**
 * The consume loop. kafkajs hands fetched records to eachBatch, per partition; they join the intake and the handler
 * returns at once, so the fetch loop keeps reading while a window gathers: a record waits for its batch to fill or
 * for the window, never for the fetch loop. A handler holds the fetch loop only
 *   - while a batch's transaction is being committed: kafkajs rejoins a rebalancing group from the fetch loop, and
 *     a commit under way should end before this member's partitions can move (a batch formed before a rebalance is
 *     not committed: its transaction is aborted up to the final commit request, see TransactionalSink);
 *   - while the intake holds more than its capacity (backpressure), unless event-time alignment holds everything
 *     back, in which case the fetch loop must go on to fetch what unblocks it; the partitions that hold their share
 *     and whose further reading could let nothing through are paused meanwhile (intake-pauses.ts), or the fetch loop
 *     would read their whole backlog into memory.
 *
 * kafkajs advances its fetch position as soon as a handler returns (autoCommit is off, so nothing is committed).
 * Records that are dropped without a rebalance (a lapsed membership) are therefore read again by seeking each
 * partition back to its first uncommitted offset; after a rebalance kafkajs reads from the committed offsets itself.
 *
 * A batch is formed when the scorer is free: maxRecords records, whatever waits once the oldest has waited
 * maxWaitMs, or, once every partition with waiting records was read to its end, minRecords (core/batch/batch-window).
 * Scoring batch N+1 overlaps committing batch N; commits stay in order.
 */
/** A read-to-its-end claim that lets more through than the partition's lasting bound. */
const claimsMore = (bound: PartitionBound): boolean =>
  bound.atEnd !== undefined && bound.atEnd.lowerBoundMs > bound.lowerBoundMs;

/**
 * How long the batch loop may stay in one step without progress before /livez fails. Longer than the longest healthy
 * attempt: a commit's Kafka requests each time out after 30 s (kafkajs's requestTimeout) and kafkajs retries one up
 * to 5 times within an attempt, 3 minutes at worst; an attempt that fails is retried, and a retry is progress.
 */
const LOOP_STUCK_AFTER_MS = 5 * 60_000;

/** How long batches may fail, or the loop stay in one step, before /healthz says the worker does no work. */
const NOT_READY_AFTER_MS = 30_000;

/** How long a batch may wait for the partitions' end offsets before it goes without them. */
const END_OFFSETS_TIMEOUT_MS = 2_000;

export class Runner {
  private queues = new Map<string, PartitionQueue>();
  private waiting = 0;
  /** Fetches handed to the intake so far (WaitingRecord's arrival). */
  private arrivals = 0;
  /** The bounds other workers published at the last take include read-to-its-end claims. */
  private claimsSeen = false;
  private blockedSinceMs: number | undefined;
  /**
   * Bumped when the group rebalances or records are given back: a batch formed before must not be committed after,
   * and a handler that was still decoding must not add its records.
   */
  private epoch = 0;
  /** Per partition, the first offset not yet committed by this member in this assignment: where a give-back seeks. */
  private readonly firstUncommitted = new Map<string, bigint>();
  /** A give-back's seeks, waiting for a heartbeat that confirms the membership (a rejoin drops them). */
  private pendingRewind = new Map<string, bigint>();
  /** Where the last rewind sought each partition, until the intake is dropped again (for readWithoutRecords). */
  private soughtTo = new Map<string, number>();
  /** The partitions of the current assignment; empty while the group rebalances. */
  private assigned = new Set<string>();
  /** A batch's transaction is being committed. */
  private committing = false;
  /**
   * The last commit request got no answer: it may have landed. Until it is settled a give-back's seeks wait, as for
   * a commit under way (they would seek behind a landed commit).
   */
  private inDoubt = false;
  /** Alignment holds every waiting record back: handlers must let the fetch loop go on. */
  private starved = false;
  /** Intake capacity for the window in force (the window may change at a batch boundary). */
  private capacity: number;
  private readonly pauses: IntakePauses;
  private readonly held = new Set<() => void>();
  private assignmentGeneration = 0;
  private forced: CloseReason | undefined;
  private wake: (() => void) | undefined;
  private sequence = 0;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private fatal: unknown;
  private loop: Promise<void> | undefined;
  private pendingCommit: Promise<void> = Promise.resolve();
  /** Records in the feature state that may be featurised again: the next batch's trims stay below their windows. */
  private readonly replayFloor = new ReplayFloor();
  private lastCommitAtMs: number;
  /** When the group coordinator last answered a heartbeat (or a join) of this member, standstills allowed for. */
  private readonly membership: MembershipLease;
  private joined = false;
  /** How the consumer is run again after kafkajs stopped it for want of its coordinator; stopped by stop and fail. */
  private readonly reruns: ConsumerReruns;
  private readonly lag: ConsumerLagSeries;
  private readonly progress: LoopProgress;
  private lastFailure: { atMs: number; message: string } | undefined;
  private reportFatal!: (error: unknown) => void;
  /** Resolves with the fatal error that ended this instance (the CLI exits non-zero on it). */
  readonly failed = new Promise<unknown>((resolve) => (this.reportFatal = resolve));

  constructor(private readonly deps: RunnerDeps) {
    this.lastCommitAtMs = deps.clock();
    this.membership = new MembershipLease(deps.clock, deps.membershipLeaseMs, deps.stallDetection);
    this.capacity = deps.intakeCapacity ?? 2 * deps.window.maxRecords;
    this.pauses = new IntakePauses(deps.consumer);
    this.lag = new ConsumerLagSeries(deps.metrics.consumerLag);
    this.progress = new LoopProgress(deps.clock, LOOP_STUCK_AFTER_MS);
    this.reruns = new ConsumerReruns(() => this.runConsumer(), warnOfRerun(deps.log, 'the input consumer'));
  }

  /**
   * Subscribes and starts consuming. A failure to start (Kafka unreachable, a topic deleted meanwhile) is fatal, like
   * any other end of this instance: reported through `failed` and the probes, and rethrown. Otherwise nothing would
   * ever consume, and a worker whose connections keep the process alive would stay up looking healthy.
   */
  async start(): Promise<void> {
    try {
      await this.subscribeAndRun();
    } catch (error) {
      // A stop under way explains the failure (it disconnects the consumer): not an end of its own.
      if (!this.stopping) this.fail('start', error);
      throw error;
    }
  }

  private async subscribeAndRun(): Promise<void> {
    const { consumer } = this.deps;
    for (const topic of this.deps.topics) await consumer.subscribe({ topic, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.membership.confirmed();
      // kafkajs rejoins without a REBALANCING event when the coordinator no longer knows this member (expelled after
      // a stall longer than the session): what was fetched in the previous generation is stale then too.
      if (this.joined) this.onRebalancing();
      this.joined = true;
      this.assigned = new Set(
        Object.entries(event.payload.memberAssignment).flatMap(([topic, ps]) => ps.map((p) => `${topic}:${p}`)),
      );
      this.lag.retain(event.payload.memberAssignment);
      void this.onAssigned(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.HEARTBEAT, () => {
      // A give-back's seeks wait for an answer that confirms the membership as of now, not one from before a standstill.
      if (this.membership.confirmed()) this.rewind();
    });
    consumer.on(consumer.events.REBALANCING, () => this.onRebalancing());
    onBatchWithoutRecords(consumer, (topic, partition, atEnd, read) =>
      this.onReadWithoutRecords(topic, partition, atEnd, read),
    );
    // kafkajs gives up on a consumer after an error it does not retry: nothing would fetch any more, and the member
    // would sit in the group scoring nothing. Fatal, and said, like any other end of this instance; but a broker
    // restart that leaves no coordinator to find for a moment is ridden out by running the consumer again (its
    // rejoin is a rebalance like any other: GROUP_JOIN above).
    void consumerGivenUp(consumer, this.reruns).then((error) => this.fail('consumer', error));
    // A throw out of the loop must not leave a worker that consumes but never scores: it is fatal, and said.
    this.membership.start();
    this.loop = this.formBatches().catch((error: unknown) => this.fail('batch loop', error));
    await this.runConsumer();
  }

  private runConsumer(): Promise<void> {
    return this.deps.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      // Handlers hold the fetch loop only briefly (see above), but all partitions of a fetch go at once.
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.onFetched(payload),
    });
  }

  /**
   * Scores and commits everything taken, then leaves the group. Every caller gets the one stop: a second caller (a
   * fatal error during a drain) waits for the drain, rather than closing what the loop still uses.
   */
  stop(): Promise<void> {
    this.stopped ??= this.drainAndLeave();
    return this.stopped;
  }

  private async drainAndLeave(): Promise<void> {
    // Nothing is taken while draining: a rerun now would only rejoin the group (a rebalance) to leave it again.
    const rerunsStopped = this.reruns.stop();
    this.stopping = true;
    this.forced = 'shutdown';
    this.nudge();
    this.release();
    await this.loop;
    this.membership.stop();
    await rerunsStopped;
    try {
      await this.deps.consumer.disconnect();
    } finally {
      // Leaving the group can fail (the coordinator unreachable): the producer is closed all the same.
      await this.deps.sink.disconnect();
    }
  }

  /**
   * Why /healthz (readiness) should fail, if it should: a fatal error, batches failing with no commit for 30 s, or
   * the batch loop in one step for 30 s without progress (a request that does not answer; liveness waits 5 minutes).
   * The latter two are pauses (an outage, feature state behind), not an end: the batch resumes by itself.
   */
  unhealthyReason(): string | null {
    if (this.fatal) return `fatal: ${(this.fatal as Error).message}`;
    if (this.reruns.pending()) {
      return (
        'the input consumer lost its group coordinator and waits to run again (no broker answered, or this client ' +
        'may not use the consumer group: an ACL)'
      );
    }
    const sinceCommitMs = this.deps.clock() - this.lastCommitAtMs;
    if (this.lastFailure && this.lastFailure.atMs > this.lastCommitAtMs && sinceCommitMs > NOT_READY_AFTER_MS) {
      return `no commit for ${Math.round(sinceCommitMs / 1000)} s: ${this.lastFailure.message}`;
    }
    return this.progress.stuckReason(NOT_READY_AFTER_MS);
  }

  /**
   * Why /livez (liveness) should fail, if it should: a fatal error, or the batch loop hung in one step (LoopProgress);
   * never batches that fail and are retried.
   */
  wedgedReason(): string | null {
    if (this.fatal) return `fatal: ${(this.fatal as Error).message}`;
    return this.progress.stuckReason();
  }

  private nudge(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Lets held handlers look again at whether they must go on holding the fetch loop. */
  private release(): void {
    for (const resolve of this.held) resolve();
    this.held.clear();
  }

  private async onFetched(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    if (this.stopping || this.fatal || !isRunning() || isStale() || batch.messages.length === 0) {
      // Not taken. With autoCommit off nothing is committed, so the next owner reads these records again.
      return;
    }
    const epoch = this.epoch;
    const key = `${batch.topic}:${batch.partition}`;
    // Before anything can fail: a give-back must seek at least to here, or kafkajs would go on past these records.
    if (!this.firstUncommitted.has(key)) this.firstUncommitted.set(key, BigInt(batch.firstOffset() ?? '0'));
    // Records given back wait for their seeks, which drop what is read until then: kept, these would publish their
    // partition's bound above the given-back records, and other workers would featurise past those.
    if (this.pendingRewind.size > 0) return;
    const records: ConsumedRecord[] = batch.messages.map((message) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
    }));
    const times = await this.readTimes(records, batch.topic, heartbeat, epoch);
    if (times === undefined || epoch !== this.epoch || this.stopping || this.fatal) {
      // Rebalanced or given back meanwhile: the records are read again from the committed (or sought) offset.
      return;
    }
    const arrivedAtMs = this.deps.clock();
    const arrival = ++this.arrivals;
    const queue = this.queueFor(batch.topic, batch.partition);
    queue.push(
      records.map((record, i) => ({ record, timeMs: times[i], arrivedAtMs, arrival })),
      // offsetLag counts control records (transaction markers) too, which never reach eachBatch: a partition whose
      // log ends in a commit marker is still read to its end, the high watermark. A marker fetched apart from its
      // records reaches onReadWithoutRecords instead.
      batch.offsetLag() === '0' ? Number(batch.highWatermark) : undefined,
      batch.topic === this.deps.labelsTopic ? 0 : (this.deps.alignment?.policy.latenessMs ?? 0),
      // kafkajs reads on after the batch's last offset, a marker that ends it included.
      Number(batch.lastOffset()) + 1,
    );
    this.waiting += records.length;
    this.deps.metrics.recordsIn.inc({ topic: batch.topic }, records.length);
    this.lag.set(batch.topic, batch.partition, Number(batch.offsetLag()));
    this.nudge();
    await this.holdWhileBusy(heartbeat, epoch);
  }

  /**
   * A fetch found nothing to hand on (transaction markers, an aborted transaction's records): kafkajs moves past it
   * without calling eachBatch. At the partition's end it is read to its end all the same, or a partition whose log
   * ends in a commit marker (any transactional upstream: the group commits up to the marker, not past it) would stay
   * unknown after every restart and rebalance and hold every worker back until a record lands there.
   */
  private onReadWithoutRecords(topic: string, partition: number, atEnd: boolean, read: ReadWithoutRecords): void {
    const key = `${topic}:${partition}`;
    // Not of the current assignment (the group rebalances): whoever owns the partition next reads the markers again
    // from the committed offset.
    if (this.stopping || this.fatal || !this.assigned.has(key)) return;
    // kafkajs's position is past the markers already: a give-back seeks here at the latest, so that they are read,
    // and reported, again after it (nothing before them is left to read: the fetch found nothing to hand on).
    const seekHere = () => {
      if (read.firstOffset !== undefined && !this.firstUncommitted.has(key)) {
        this.firstUncommitted.set(key, BigInt(read.firstOffset));
      }
    };
    // Records given back wait for their seeks: what is read until then is read again after them.
    if (this.pendingRewind.size > 0) return seekHere();
    // Not at the end, it still moves where this worker's reading stands: the next such fetch goes on from there.
    const queue = this.queueFor(topic, partition);
    if (!queue.readWithoutRecords(read, atEnd ? read.endOffset : undefined, this.soughtTo.get(key)) || !atEnd) return;
    seekHere();
    this.lag.set(topic, partition, 0);
    this.nudge();
  }

  /**
   * Decodes the records and reads their event times. A registry that does not answer is retried (the fetch loop is
   * held meanwhile, so the partition waits): a record must not enter the intake without its time, or it would skip
   * event-time alignment and leave its partition's bound. Undefined: stopped, or the records are stale now.
   */
  private async readTimes(
    records: ConsumedRecord[],
    topic: string,
    heartbeat: () => Promise<void>,
    epoch: number,
  ): Promise<(number | undefined)[] | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A registry request that never answers must not hold the fetch loop (and every partition) for ever.
        return await withTimeout(this.deps.timeOf(records, topic), DECODE_TIMEOUT_MS);
      } catch (error) {
        if (this.stopping || this.fatal || epoch !== this.epoch) return undefined;
        const delayMs = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.min(attempt - 1, 8));
        this.deps.metrics.errors.inc({ stage: 'decode' });
        this.deps.log.warn(
          { stage: 'decode', topic, attempt, delayMs, err: (error as Error).message },
          'cannot decode arriving records (schema registry); holding the partition and retrying',
        );
        await sleep(delayMs);
        try {
          await heartbeat();
        } catch (heartbeatError) {
          // Returning lets kafkajs rejoin if the group is rebalancing, but its position is past these records then:
          // give them back, or a heartbeat that failed without a rebalance (a timeout, a moving coordinator) would
          // let the next fetch go on after them, and later commits would skip them. A rejoin drops the seeks.
          if (epoch === this.epoch && !this.stopping) {
            this.giveBack(
              `heartbeat failed while decoding was retried (${(heartbeatError as Error).message}): ` +
                'records given back, to be read again',
            );
          }
          return undefined;
        }
      }
    }
  }

  /**
   * Whether a handler must go on holding the fetch loop (see the class comment). A commit under way is held for
   * whatever happened meanwhile (a rebalance announced, a give-back): kafkajs rejoins only once its handlers return,
   * and a transaction that ends after this member rejoined could commit offsets its partitions' new owner reads from.
   */
  private mustHold(epoch: number, rebalancing: boolean): boolean {
    if (this.stopping || this.fatal) return false;
    if (this.committing) return true;
    if (epoch !== this.epoch) return false;
    return !rebalancing && !this.starved && this.waiting >= this.capacity;
  }

  private async holdWhileBusy(heartbeat: () => Promise<void>, epoch: number): Promise<void> {
    let rebalancing = false;
    while (this.mustHold(epoch, rebalancing)) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.held.add(resolve);
        timer = setTimeout(resolve, HEARTBEAT_EVERY_MS);
      });
      clearTimeout(timer);
      if (!this.mustHold(epoch, rebalancing)) break;
      try {
        await heartbeat();
      } catch (error) {
        // A rebalance is under way: a commit under way ends first (the partitions cannot move before this member
        // rejoins, and it rejoins only once its handlers return); the intake is not held for capacity any more.
        if (!rebalancing) {
          this.deps.log.info({ err: (error as Error).message }, 'rebalance announced; letting the fetch loop rejoin');
        }
        rebalancing = true;
      }
    }
  }

  private queueFor(topic: string, partition: number): PartitionQueue {
    const key = `${topic}:${partition}`;
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = new PartitionQueue(topic, partition)));
    return queue;
  }

  /** New assignment: every queue starts afresh (onRebalancing dropped the old ones), then the caught-up check. */
  private async onAssigned(assignment: Record<string, number[]>): Promise<void> {
    const generation = ++this.assignmentGeneration;
    await this.deps.checkState?.(assignment).catch((error: unknown) => {
      this.deps.log.warn(
        { err: (error as Error).message },
        'could not check the feature state; batches still check it',
      );
    });
    const alignment = this.deps.alignment;
    if (!alignment) return;
    // A partition with nothing to read is never fetched: say so, or it would hold every worker back. Retried until it
    // answers: an unknown partition stalls every worker of the topology.
    let caughtUp: Map<string, number> | undefined;
    for (let attempt = 1; caughtUp === undefined; attempt++) {
      try {
        caughtUp = await alignment.caughtUp(assignment);
      } catch (error) {
        if (this.stopping || this.fatal || generation !== this.assignmentGeneration) return;
        const delayMs = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.min(attempt - 1, 8));
        this.deps.metrics.errors.inc({ stage: 'align' });
        this.deps.log.warn(
          { attempt, delayMs, err: (error as Error).message },
          'could not check whether assigned partitions are read to their end; retrying',
        );
        await sleep(delayMs);
      }
    }
    if (generation !== this.assignmentGeneration) return;
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const queue = this.queueFor(topic, partition);
        const endOffset = caughtUp.get(queue.key);
        if (queue.size === 0 && queue.maxSeenMs === undefined && endOffset !== undefined) queue.endOffset = endOffset;
      }
    }
    this.nudge();
  }

  /**
   * kafkajs is about to rejoin the group. After the rejoin every partition is read again from its committed
   * offset, so everything of the previous assignment is dropped: waiting records, what a partition's queue knew
   * (latest event time seen, read to its end: records read again must not look late, and the bound published for
   * the others must stay a lower bound), and a batch not yet committed is not committed at all (another member may
   * own its partitions by then).
   */
  private onRebalancing(): void {
    const dropped = this.waiting;
    this.assigned = new Set();
    this.resetIntake();
    this.replayFloor.rejoined();
    this.deps.log.info(
      { dropped },
      'group rebalancing: uncommitted records dropped, to be read again after the rejoin',
    );
  }

  private resetIntake(): void {
    this.pendingRewind.clear();
    this.epoch++;
    this.queues = new Map();
    this.waiting = 0;
    this.firstUncommitted.clear();
    this.soughtTo.clear();
    // kafkajs keeps pauses across a rejoin and a seek: the partitions are read afresh, whatever their queues held.
    this.pauses.resumeAll();
    this.starved = false;
    this.release();
    this.nudge();
  }

  /**
   * Drops everything not committed without a rebalance (kafkajs's position is past it): each partition is sought
   * back to its first uncommitted offset, so every record is read again and still gets exactly one outcome.
   */
  private giveBack(why: string): void {
    this.deps.log.info({ waiting: this.waiting }, why);
    const seekTo = earliestOf(this.firstUncommitted, this.pendingRewind);
    this.resetIntake();
    if (this.stopping) return; // leaving the group: its next owner reads from the committed offsets
    // Sought only once a heartbeat confirms this member still owns its partitions in this generation: a seek left
    // pending across a rejoin would replay, after the rejoin, records another member has committed since.
    this.pendingRewind = seekTo;
  }

  /**
   * After a commit: each committed partition's first uncommitted offset moves past it, and so does a give-back's
   * pending seek made while the commit was under way (seeking behind a commit would score its records twice).
   */
  private noteCommitted(offsets: ScoredBatch['outgoing']['offsets']): void {
    for (const [topic, partitions] of offsets) {
      for (const [partition, offset] of partitions) {
        const key = `${topic}:${partition}`;
        const next = BigInt(offset);
        // Only partitions read since the last reset: a commit settled after a give-back or a rejoin (landedAfterAll)
        // must not add a partition this member may not own any more.
        const first = this.firstUncommitted.get(key);
        if (first !== undefined && first < next) this.firstUncommitted.set(key, next);
        const rewindTo = this.pendingRewind.get(key);
        if (rewindTo !== undefined && rewindTo < next) this.pendingRewind.set(key, next);
      }
    }
    this.replayFloor.committedUpTo(this.firstUncommitted);
  }

  /**
   * Applies a give-back's seeks (membership confirmed): what was fetched meanwhile is dropped and read again. Not
   * while a commit is under way or in doubt (its request got no answer): its offsets move the seeks on when it
   * succeeds or turns out to have landed (noteCommitted); the next heartbeat applies them.
   */
  private rewind(): void {
    if (this.pendingRewind.size === 0 || this.stopping || this.committing || this.inDoubt) return;
    // Records fetched since the give-back are dropped too, also those of partitions that had nothing uncommitted
    // then: their partitions are sought back as well, or kafkajs would go on past them and they would never come.
    const seekTo = [...earliestOf(this.pendingRewind, this.firstUncommitted)];
    this.resetIntake();
    for (const [key, offset] of seekTo) {
      const at = key.lastIndexOf(':');
      this.soughtTo.set(key, Number(offset));
      this.deps.consumer.seek({
        topic: key.slice(0, at),
        partition: Number(key.slice(at + 1)),
        offset: String(offset),
      });
    }
    this.deps.log.info(
      { partitions: seekTo.length },
      'membership confirmed: partitions sought back to their first uncommitted offset',
    );
  }

  private oldestArrivalMs(): number | undefined {
    let oldest: number | undefined;
    for (const queue of this.queues.values()) {
      const arrived = queue.oldestArrivalMs();
      if (arrived !== undefined && (oldest === undefined || arrived < oldest)) oldest = arrived;
    }
    return oldest;
  }

  /** Every partition with waiting records was read to its end by its latest fetch: nothing more is there yet. */
  private drained(): boolean {
    for (const queue of this.queues.values()) if (queue.size > 0 && queue.endOffset === undefined) return false;
    return true;
  }

  /** The bounds of the partitions this worker owns. */
  private ownBounds(policy: AlignmentPolicy): Map<string, PartitionBound> {
    const own = new Map<string, PartitionBound>();
    for (const queue of this.queues.values()) {
      own.set(queue.key, queue.bound(queue.topic === this.deps.labelsTopic ? 0 : policy.latenessMs));
    }
    return own;
  }

  private async publishBounds(): Promise<Map<string, PartitionBound>> {
    const alignment = this.deps.alignment;
    if (!alignment) return new Map();
    const own = this.ownBounds(alignment.policy);
    const published = await alignment.store.exchange(own);
    for (const key of own.keys()) published.delete(key);
    return published;
  }

  /**
   * The partitions' end offsets, read after everything waiting now arrived: a partition read to its end holds those
   * records back no more only while it still ends there. Empty when they cannot be read (the records then wait for
   * bounds that need no end offset).
   */
  private async readEndOffsets(): Promise<{ endOffsets: Map<string, number>; endsReadAfter: number }> {
    const endsReadAfter = this.arrivals;
    try {
      const endOffsets = await withTimeout(
        this.deps.alignment?.endOffsets() ?? Promise.resolve(new Map<string, number>()),
        END_OFFSETS_TIMEOUT_MS,
      );
      return { endOffsets, endsReadAfter };
    } catch (error) {
      this.deps.metrics.errors.inc({ stage: 'align' });
      this.deps.log.warn({ err: (error as Error).message }, "could not read the partitions' end offsets");
      return { endOffsets: new Map(), endsReadAfter };
    }
  }

  /** Takes the next batch; with alignment, only records whose features' inputs are all in the state. */
  private async take(n: number): Promise<ConsumedRecord[]> {
    const alignment = this.deps.alignment;
    const epoch = this.epoch;
    // End offsets only where a read-to-its-end claim may let more through (a live stream; a backlog has none), read
    // alongside the bounds: one more round trip to the broker would hold every batch back by it.
    const wantEnds =
      alignment !== undefined && (this.claimsSeen || [...this.ownBounds(alignment.policy).values()].some(claimsMore));
    const [published, ends] = await Promise.all([
      this.withRetry('align', () => this.publishBounds()),
      wantEnds ? this.readEndOffsets() : { endOffsets: new Map<string, number>(), endsReadAfter: 0 },
    ]);
    // Without end offsets a claim is only not used: records wait for the next take, which reads them.
    this.claimsSeen = [...published.values()].some(claimsMore);
    // Rebalanced meanwhile: the queues are new, and the bounds read belong to the previous assignment.
    if (epoch !== this.epoch) return [];
    const taken: WaitingRecord[] = selectBatch(
      this.queues,
      this.deps.labelsTopic,
      n,
      alignment
        ? {
            policy: alignment.policy,
            inputKeys: alignment.inputKeys,
            labelKeys: alignment.labelKeys,
            published,
            ...ends,
          }
        : undefined,
    );
    this.waiting -= taken.length;
    if (alignment) {
      const pause = partitionsToPause({
        queues: this.queues,
        labelsTopic: this.deps.labelsTopic,
        capacity: this.capacity,
        policy: alignment.policy,
        inputKeys: alignment.inputKeys,
        labelKeys: alignment.labelKeys,
        published,
      });
      // Paused only while everything is held back; records taken let the handlers' backpressure bound the intake.
      this.pauses.apply(pause, taken.length === 0);
    }
    return taken.map((waiting) => waiting.record);
  }

  private async idle(delayMs: number | undefined): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (delayMs !== undefined) timer = setTimeout(resolve, delayMs);
    });
    clearTimeout(timer);
  }

  private async formBatches(): Promise<void> {
    while (!this.fatal) {
      this.progress.moved('batch boundary');
      const window = this.deps.beforeBatch?.() ?? this.deps.window;
      this.capacity = this.deps.intakeCapacity ?? 2 * window.maxRecords;
      const intake = { waiting: this.waiting, oldestArrivalMs: this.oldestArrivalMs(), drained: this.drained() };
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
        this.progress.waits();
        await this.idle(delay);
        continue;
      }
      if (this.pendingRewind.size > 0) {
        // Records given back wait to be sought: nothing formed now could be committed before them, and scoring what
        // was fetched after them would record it in the feature state, whose trims could then cut the windows the
        // given-back records need when they are read again. The rewind (or a rejoin) wakes the loop.
        if (this.stopping) this.giveBack('records given back are left for the next owner (shutdown)');
        else {
          this.progress.waits();
          await this.idle(CONTROL_POLL_MS);
        }
        continue;
      }
      const epoch = this.epoch;
      this.progress.moved('take');
      const records = await this.take(window.maxRecords).catch((error: unknown) => {
        if (!(error instanceof StoppedError)) this.fail('align', error);
        return []; // stopped: nothing taken, the shutdown below gives the waiting records back
      });
      if (epoch !== this.epoch) continue; // rebalanced while taking: the records are gone with their queues
      if (records.length === 0 && (reason === 'shutdown' || reason === 'rebalance')) {
        // Shutdown while alignment holds records back: leave them uncommitted for the partitions' next owner.
        this.giveBack(`records held back by event-time alignment are left for the next owner (${reason})`);
        continue;
      }
      if (records.length === 0) {
        // Everything waiting is held back by event-time alignment: what unblocks it must still be fetched, and kafkajs
        // fetches the next round only when every eachBatch handler has returned. So held handlers are let go; the
        // records stay here until they can go.
        this.starved = true;
        this.release();
        this.blockedSinceMs ??= this.deps.clock();
        this.deps.log.debug(
          {
            waiting: this.waiting,
            queues: [...this.queues.values()].map((q) => [q.key, q.size, q.maxSeenMs, q.endOffset]),
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
        this.progress.waits();
        await this.idle(ALIGNMENT_POLL_MS);
        continue;
      }
      this.starved = false;
      this.blockedSinceMs = undefined;
      this.release(); // the intake shrank: a handler held for capacity may go
      const id = `${this.deps.batchIdPrefix}-${++this.sequence}`;
      const closedAt = performance.now();
      try {
        this.progress.moved('score');
        const scored = await this.withRetry('score', () =>
          this.deps.scoreBatch(records, id, this.replayFloor.floorMs()),
        );
        this.replayFloor.recorded(id, scored.oldestRecordedMs);
        // Scoring the next batch may overlap this commit, but commits run strictly in order.
        const previous = this.pendingCommit;
        this.pendingCommit = previous
          .then(() => this.commit({ id, closeReason: reason, size: records.length, closedAt, epoch }, scored))
          // Not committed, its records are read again: after a give-back by this member, whose trims stay below
          // them until it committed them all; after a rejoin from the committed offsets (ReplayFloor).
          .then((committed) => this.replayFloor.ended(id, committed, scored.outgoing.offsets));
        this.progress.moved('commit');
        await previous;
      } catch (error) {
        this.fail(id, error);
      }
    }
    await this.pendingCommit;
    this.progress.waits(); // ended: nothing left to hang in
  }

  private async commit(
    batch: { id: string; closeReason: CloseReason; size: number; closedAt: number; epoch: number },
    scored: ScoredBatch,
  ): Promise<boolean> {
    if (this.fatal) return false;
    const notCommitted = () => {
      this.deps.log.info(
        { batchId: batch.id },
        'batch formed before a rebalance is not committed; its records are read again',
      );
      return false;
    };
    if (batch.epoch !== this.epoch) return notCommitted();
    try {
      const started = performance.now();
      const lease = this.deps.membershipLeaseMs;
      // Checked before every attempt: a commit retried through a broker outage may outlive the membership.
      const outcome = await this.withRetry('commit', async () => {
        // Records given back are not sought yet (kafkajs's position is past them): committing offsets beyond them
        // now would skip them. The batch's own records are read again with them once the seeks are made.
        const refused =
          batch.epoch !== this.epoch
            ? 'rebalanced'
            : this.pendingRewind.size > 0
              ? 'given back'
              : this.membership.lapsed()
                ? 'lapsed'
                : undefined;
        if (refused !== undefined) return (await this.landedAfterAll(batch.id, scored)) ? 'committed' : refused;
        this.committing = true;
        // The fetch loop waits for this commit: say so when it takes far longer than a commit should.
        const slow = setTimeout(
          () =>
            this.deps.log.warn({ batchId: batch.id }, 'commit still under way after 30 s; the fetch loop waits for it'),
          30_000,
        );
        try {
          // Asked again right before the commit itself: the process may have stood still since the check above
          // (before its transaction reached the coordinator, whose timeout would otherwise abort it).
          let committed: boolean;
          try {
            committed = await this.deps.sink.commitBatch(
              scored.outgoing,
              () => batch.epoch === this.epoch && this.pendingRewind.size === 0 && !this.membership.lapsed(),
            );
          } catch (error) {
            // Its commit request may have reached the coordinator, the answer lost (a request timeout in a broker
            // blip): the batch may be committed. Settled before anything reads its records again (landedAfterAll).
            this.inDoubt = true;
            throw error;
          }
          this.inDoubt = false; // the sink settled an earlier attempt's commit itself
          if (committed) {
            // Before anything else can run: a give-back made while the commit was under way must not seek behind it.
            this.noteCommitted(scored.outgoing.offsets);
            return 'committed';
          }
          if (batch.epoch !== this.epoch) return 'rebalanced';
          return this.pendingRewind.size > 0 ? 'given back' : 'lapsed';
        } finally {
          clearTimeout(slow);
          this.committing = false;
          this.release();
        }
      });
      if (outcome === 'rebalanced') return notCommitted();
      if (outcome === 'given back') {
        this.deps.log.info(
          { batchId: batch.id },
          'batch formed while records given back wait to be sought is not committed; its records are read again',
        );
        return false;
      }
      if (outcome === 'lapsed') {
        // As after a rebalance: nothing formed so far is committed; the records are read again.
        this.giveBack(
          `no heartbeat answered for over ${lease} ms: this member may have been expelled, so batch ${batch.id} ` +
            'is not committed and uncommitted records are read again',
        );
        return false;
      }
      const now = performance.now();
      this.lastCommitAtMs = this.deps.clock();
      const committed: CommittedBatch = {
        id: batch.id,
        closeReason: batch.closeReason,
        size: batch.size,
        latencyMs: now - batch.closedAt,
        commitMs: now - started,
      };
      recordCommittedBatch(this.deps.metrics, committed, scored.summary);
      this.deps.log.debug({ ...committed, stageMs: scored.summary.stageMs }, 'batch committed');
      this.deps.onCommitted?.(scored.summary, committed);
      return true;
    } catch (error) {
      this.fail(batch.id, error);
      return false;
    }
  }

  /**
   * A batch that will not be committed now (rebalanced, given back, lease lapsed): if an earlier attempt's commit got
   * no answer, whether it landed after all (the sink settles it: real I/O, retried by the caller until it answers).
   * Landed, the batch is committed and its offsets move this member's seeks past it; otherwise its records are read
   * again, and each still gets one outcome. Held like a commit under way: the fetch loop waits (kafkajs cannot rejoin
   * meanwhile) and a give-back's seeks wait for the answer.
   */
  private async landedAfterAll(batchId: string, scored: ScoredBatch): Promise<boolean> {
    if (!this.inDoubt) return false;
    this.committing = true;
    try {
      const landed = await this.deps.sink.landed(scored.outgoing);
      this.inDoubt = false;
      if (landed) {
        this.noteCommitted(scored.outgoing.offsets);
        this.deps.log.info(
          { batchId },
          'a commit that got no answer had landed: the batch is committed, not read again',
        );
      }
      return landed;
    } finally {
      this.committing = false;
      this.release();
    }
  }

  private withRetry<T>(stage: string, operation: () => Promise<T>): Promise<T> {
    return retryUntilDone(operation, {
      isFatal,
      // Stopping does not abandon a batch: its records are taken, so it is finished or the process dies. Alignment's
      // exchange of bounds (Redis down) comes before anything is taken: stopping ends it, and the records waiting are
      // given back for the partitions' next owner (formBatches), or a stop would wait for Redis for ever.
      shouldStop: () => this.fatal !== undefined || (stage === 'align' && this.stopping),
      onRetry: (error, attempt, delayMs) => {
        this.deps.metrics.errors.inc({ stage });
        this.deps.metrics.retries.inc();
        this.lastFailure = { atMs: this.deps.clock(), message: `${stage}: ${(error as Error).message}` };
        this.progress.moved(`${stage} (retrying)`);
        this.deps.log.warn({ stage, attempt, delayMs, err: (error as Error).message }, 'batch failed; retrying');
      },
    });
  }

  /** Ends this instance for an error outside its loop and its consumer (a reader it depends on gave up): fatal. */
  failWith(source: string, error: unknown): void {
    this.fail(source, error);
  }

  private fail(batchId: string, error: unknown): void {
    if (this.fatal) return;
    this.fatal = error;
    void this.reruns.stop();
    this.deps.log.error({ err: (error as Error).message, batchId }, 'fatal error; this instance stops');
    this.reportFatal(error);
    this.nudge();
    this.release();
  }
}

/** Per partition, the earlier of the two offsets to read again from (either map may lack a partition). */
function earliestOf(a: ReadonlyMap<string, bigint>, b: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const earliest = new Map(a);
  for (const [key, offset] of b) {
    const known = earliest.get(key);
    if (known === undefined || offset < known) earliest.set(key, offset);
  }
  return earliest;
}
