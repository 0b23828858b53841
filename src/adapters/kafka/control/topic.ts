import { randomBytes } from 'node:crypto';
import { Partitioners, type Admin, type IHeaders, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from '../../observability/logger.js';
import { ConsumerReruns, readerStopped, warnOfRerun, type ReaderStoppedError } from '../consumer-give-up.js';
import { RestartBackoff } from '../restart-backoff.js';
import {
  appliedEntry,
  CONTROL_TOPIC_SETTINGS,
  ControlLogContinuity,
  controlTopicName,
  EMPTY_VIEW,
  entryToReappend,
  foldControlEntry,
  nextRecord,
  otherLogEvidence,
  parseControlRecord,
  type ControlRecord,
  type ControlView,
  type Transition,
} from '../../../core/control/index.js';

/** Creates the control topic when missing: compacted, one partition, so order is total and the latest is kept. */
export async function ensureControlTopic(kafka: Kafka, topology: string): Promise<boolean> {
  const topic = controlTopicName(topology);
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return false;
    await admin.createTopics({
      // kafkajs's own wait fails outright when a metadata answer still says UNKNOWN_TOPIC_OR_PARTITION; wait below.
      waitForLeaders: false,
      topics: [
        {
          topic,
          numPartitions: CONTROL_TOPIC_SETTINGS.partitions,
          replicationFactor: 1,
          configEntries: [
            { name: 'cleanup.policy', value: CONTROL_TOPIC_SETTINGS.cleanupPolicy },
            { name: 'retention.ms', value: String(CONTROL_TOPIC_SETTINGS.retentionMs) },
          ],
        },
      ],
    });
    await untilLed(admin, topic);
    return true;
  } catch (error) {
    // Two workers starting together: the other one created it.
    if ((error as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return false;
    throw error;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the new topic's partition has a leader (metadata may lag its creation for a moment). */
async function untilLed(admin: Admin, topic: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      if (topics[0]?.partitions.every((p) => p.leader >= 0)) return;
    } catch (error) {
      if (attempt >= 50) throw error;
    }
    if (attempt >= 50) throw new Error(`control topic ${topic} has no leader after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Marks a re-appended copy of the record readers apply (see core/control/compaction.ts). A header, so the copy's value
 * stays byte for byte the original and workers that predate the mark read it as an ignored replay.
 */
const COPY_HEADER = 'fraudscore-control';
const COPY_MARK = 'copy';

export interface ControlLogEntry {
  readonly offset: string;
  readonly record: ControlRecord | null;
  /** The record's text as written (null: a tombstone). */
  readonly value: string | null;
  /** A re-appended copy of the record readers applied for its version. */
  readonly copy: boolean;
  /** Why the record was ignored, when it was not a valid control record. */
  readonly problem?: string;
}

export interface ControlFollowerOptions {
  readonly kafka: Kafka;
  readonly topology: string;
  /** Every record read, applicable or not (the CLI's history). */
  readonly onEntry?: (entry: ControlLogEntry) => void;
  /** Each time the view changes. */
  readonly onView?: (view: ControlView) => void;
  /** Each completed fetch, records or none (every 250 ms when nothing changes): the reader is alive. */
  readonly onFetch?: (atMs: number) => void;
  readonly clock?: () => number;
  /** How often the reader reads its last record again to tell a new log under the old name; default 10 s. */
  readonly recheckIntervalMs?: number;
  /**
   * Told of each record ignored as unreadable, once (a worker's log: nothing else would say a change was skipped), and
   * of each time the reader is run again after a lost coordinator.
   */
  readonly log?: Pick<Logger, 'warn'>;
  /**
   * A read that ends once caught up (a command): after a lost coordinator it fails at once rather than run again for
   * up to 5 minutes while the operator waits.
   */
  readonly oneOff?: boolean;
}

/**
 * A topic deleted and created again with as many records as the reader had read leaves it waiting at its offset,
 * deaf to what the new log holds (log-continuity.ts): the reader reads its last record again this often, and the
 * record it finds there tells. Well within the kill switch's minute, one small fetch per interval.
 */
export const CONTROL_LOG_RECHECK_MS = 10_000;

/** The control topic was deleted and created again under a reader: what it holds is of a log that no longer exists. */
export class ControlLogReplacedError extends Error {
  constructor(topic: string, evidence: string) {
    super(
      `the control topic ${topic} was deleted and created again while this process read it (${evidence}): ` +
        'versions start again at 1 in the new log, so the changes written to it (the kill switch, rollout steps) ' +
        'would all be ignored here; restart the process to read the new log',
    );
    this.name = 'ControlLogReplacedError';
  }
}

/**
 * Reads the control topic from its beginning, then tails it. Not a member of any shared consumer group: a group of
 * its own per reader (never committing), so every worker reads every record. `ready` resolves once the reader has
 * caught up with the end of the log as it was at start: a worker must not score before it knows the current state.
 */
export class ControlFollower {
  private view: ControlView = EMPTY_VIEW;
  private readonly consumer;
  /** While the topic is missing the reader crashes on every fetch: restarts spaced up to 5 s apart. */
  private readonly restarts = new RestartBackoff();
  /**
   * How the reader is run again after kafkajs stopped it for want of its coordinator (a broker restarting); none for a
   * one-off read, which fails at once instead.
   */
  private readonly reruns: ConsumerReruns | undefined;
  private endOffset = 0n;
  private readonly continuity = new ControlLogContinuity();
  private replacedBy: ControlLogReplacedError | null = null;
  private recheck: NodeJS.Timeout | null = null;
  private logReplaced!: (error: ControlLogReplacedError) => void;
  private lastFetch: number;
  private caughtUp!: () => void;
  private stoppedBeforeReady!: (error: Error) => void;
  /** Resolves once caught up with the end of the log as it was at start; rejects if the reader gives up before. */
  readonly ready = new Promise<void>((resolve, reject) => {
    this.caughtUp = resolve;
    this.stoppedBeforeReady = reject;
  });
  /**
   * Resolves if kafkajs gives this reader up for good (consumer-give-up.ts), or if the topic turns out to be a new log
   * under the old name (ControlLogReplacedError): the view stays as it was, and no later change (the kill switch)
   * reaches whoever follows it. A worker must not go on scoring then.
   */
  readonly failed: Promise<ReaderStoppedError | ControlLogReplacedError>;

  constructor(private readonly options: ControlFollowerOptions) {
    this.consumer = options.kafka.consumer({
      groupId: `fraudscore.control-reader.${options.topology}.${randomBytes(6).toString('hex')}`,
      readUncommitted: false,
      // The kill switch must reach every worker in seconds: a fetch returns as soon as a record lands.
      maxWaitTimeInMs: 250,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      retry: { restartOnFailure: this.restarts.restartOnFailure },
    });
    this.reruns =
      options.oneOff === true
        ? undefined
        : new ConsumerReruns(
            () => this.run(),
            warnOfRerun(options.log, `the reader of ${controlTopicName(options.topology)}`),
          );
    this.lastFetch = (options.clock ?? Date.now)();
    this.consumer.on(this.consumer.events.FETCH, () => {
      this.restarts.fetched();
      this.lastFetch = (options.clock ?? Date.now)();
      options.onFetch?.(this.lastFetch);
    });
    this.failed = Promise.race([
      readerStopped(
        this.consumer,
        `the reader of ${controlTopicName(options.topology)}`,
        'control changes (the kill switch, rollout steps) no longer reach this process',
        this.reruns,
      ),
      new Promise<ControlLogReplacedError>((resolve) => (this.logReplaced = resolve)),
    ]);
    void this.failed.then(this.stoppedBeforeReady);
    // Awaited by whoever starts the reader; a rejection nobody waits for must not end the process.
    this.ready.catch(() => undefined);
  }

  current(): ControlView {
    return this.view;
  }

  /** How many times kafkajs restarted the reader after a crash it retries (a deleted topic: each fetch crashes). */
  restartCount(): number {
    return this.restarts.restartCount();
  }

  /** Stopped by kafkajs for want of its group coordinator and not yet running again (ConsumerReruns). */
  rerunPending(): boolean {
    return this.reruns?.pending() === true;
  }

  /** When the reader last completed a fetch (at start: when it was made), on the follower's clock. */
  lastFetchAtMs(): number {
    return this.lastFetch;
  }

  async start(): Promise<void> {
    const topic = controlTopicName(this.options.topology);
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      // Right after the topic was created, its metadata may not have reached every broker yet.
      for (let attempt = 1; ; attempt++) {
        try {
          const offsets = await admin.fetchTopicOffsets(topic);
          this.endOffset = BigInt(offsets[0]?.high ?? '0');
          break;
        } catch (error) {
          if (attempt >= 50 || !(error as { retriable?: boolean }).retriable) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    } finally {
      await admin.disconnect();
    }
    if (this.endOffset === 0n) this.caughtUp();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.run();
    this.recheck = setInterval(
      () => this.readLastRecordAgain(topic),
      this.options.recheckIntervalMs ?? CONTROL_LOG_RECHECK_MS,
    );
    this.recheck.unref();
  }

  /** Runs the consumer: at start, and again after kafkajs stopped it for want of its coordinator. */
  private async run(): Promise<void> {
    const topic = controlTopicName(this.options.topology);
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (this.replacedBy) return;
        const value = message.value ? message.value.toString('utf8') : null;
        const offset = BigInt(message.offset);
        const reread = offset <= this.continuity.highestOffsetRead();
        const evidence = this.continuity.check(offset, value);
        if (evidence !== null) {
          this.replacedBy = new ControlLogReplacedError(topic, evidence);
          this.logReplaced(this.replacedBy);
          return;
        }
        // The same bytes as read there before (a restart, a recheck): folded and reported already.
        if (reread) return;
        const parsed =
          value === null ? ({ ok: false, problem: 'empty record (tombstone)' } as const) : parseControlRecord(value);
        const otherLog = parsed.ok ? otherLogEvidence(this.view, parsed.record, this.options.topology) : null;
        if (otherLog !== null) {
          this.replacedBy = new ControlLogReplacedError(topic, otherLog);
          this.logReplaced(this.replacedBy);
          return;
        }
        const copy = isCopy(message.headers);
        const entry: ControlLogEntry = parsed.ok
          ? { offset: message.offset, record: parsed.record, value, copy }
          : { offset: message.offset, record: null, value, copy, problem: parsed.problem };
        if (!parsed.ok) {
          // Offset and problem only: the record's text is whatever was written to the topic, shown by `control history`.
          this.options.log?.warn(
            { topic, offset: message.offset, problem: parsed.problem },
            'control record unreadable: ignored (a change written there, a kill switch included, is not applied)',
          );
        }
        this.options.onEntry?.(entry);
        const next = foldControlEntry(this.view, entry, this.options.topology);
        if (next !== this.view) {
          this.view = next;
          this.options.onView?.(next);
        }
        if (offset + 1n >= this.endOffset) this.caughtUp();
      },
    });
  }

  /** Sends the reader back to the highest offset it has read; eachMessage checks the record it finds there. */
  private readLastRecordAgain(topic: string): void {
    const highest = this.continuity.highestOffsetRead();
    if (this.replacedBy || highest < 0n) return;
    try {
      this.consumer.seek({ topic, partition: 0, offset: highest.toString() });
    } catch {
      // Not running at this moment (kafkajs restarting it): its restart reads the log again from the beginning.
    }
  }

  async stop(): Promise<void> {
    if (this.recheck) clearInterval(this.recheck);
    await this.reruns?.stop();
    await this.restarts.release();
    await this.consumer.disconnect();
  }
}

/**
 * Reads the whole control log once (to its end at call time): the current view and every entry. A control topic that
 * does not exist yet (no worker of the topology has started, no change was made) reads as an empty log, the topology
 * file deciding, and is not created: reading changes nothing.
 */
export async function readControlLog(
  kafka: Kafka,
  topology: string,
): Promise<{ view: ControlView; entries: ControlLogEntry[]; topicExists: boolean }> {
  if (!(await controlTopicExists(kafka, topology))) return { view: EMPTY_VIEW, entries: [], topicExists: false };
  return { ...(await readWholeLog(kafka, topology)), topicExists: true };
}

async function controlTopicExists(kafka: Kafka, topology: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(controlTopicName(topology));
  } finally {
    await admin.disconnect();
  }
}

/** readControlLog of a topic known to exist: right after it was created, its metadata may take a moment to agree. */
async function readWholeLog(
  kafka: Kafka,
  topology: string,
): Promise<{ view: ControlView; entries: ControlLogEntry[] }> {
  const entries: ControlLogEntry[] = [];
  const follower = new ControlFollower({ kafka, topology, onEntry: (entry) => entries.push(entry), oneOff: true });
  try {
    await follower.start();
    await follower.ready;
    return { view: follower.current(), entries };
  } finally {
    await follower.stop();
  }
}

function isCopy(headers: IHeaders | undefined): boolean {
  const mark = headers?.[COPY_HEADER];
  return mark !== undefined && String(mark) === COPY_MARK;
}

export class ControlConflict extends Error {}

/**
 * Appends one change: reads the current view, applies the transition, writes the next version, then reads the log
 * again to check that this record is the one the workers apply (two operators writing the same version at once:
 * the first in the log wins, the other is told and may retry). Refusals throw with the transition's reason.
 *
 * Compaction keeps the last record, readers apply the first of a version: after each read, the record readers apply
 * is re-appended as a copy when the log does not end with it (a losing write, or one a writer left behind when it
 * stopped), before this writer retries, gives up or writes. Left open: a writer that stops between its losing write
 * and that copy. Its record stays last, harmless while in the active segment (never cleaned, rolled only on an
 * append), and the next change made here copies the applied record behind it first. Only when the append after it
 * is no such copy (a record written by hand or by a version without copies, or another losing write whose writer
 * stops too) and rolls the segment does the cleaner keep the losing record for readers started later.
 */
export async function appendControl(
  kafka: Kafka,
  topology: string,
  transition: (view: ControlView) => Transition | Promise<Transition>,
  meta: {
    readonly actor: string;
    readonly reason: string;
    readonly clock?: () => number;
    /** Called when there was no control topic and this append created it, before the change is judged. */
    readonly onTopicCreated?: () => void;
  },
): Promise<{ record: ControlRecord; previous: ControlView }> {
  if (await ensureControlTopic(kafka, topology)) meta.onTopicCreated?.();
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      const { view, entries } = await readWholeLog(kafka, topology);
      await keepApplied(producer, topology, entries);
      const result = await transition(view);
      if (!result.ok) throw new Error(result.problem);
      const record = nextRecord(view, topology, result, {
        actor: meta.actor,
        reason: meta.reason,
        nowMs: (meta.clock ?? Date.now)(),
        newLog: randomBytes(8).toString('hex'),
      });
      const value = JSON.stringify(record);
      // Readers skip a record their schema refuses: written, it would change nothing and read as a lost race.
      const readable = parseControlRecord(value);
      if (!readable.ok) throw new Error(`not written: every worker would ignore this change (${readable.problem})`);
      await producer.send({
        topic: controlTopicName(topology),
        acks: -1,
        messages: [{ key: topology, value }],
      });
      const after = await readWholeLog(kafka, topology);
      await keepApplied(producer, topology, after.entries);
      if (appliedEntry(after.entries, topology, record.version)?.value === value) return { record, previous: view };
      if (attempt >= 3) {
        throw new ControlConflict(
          `another change took version ${record.version} of ${topology} first (three times); check \`fraudscore control status\` and retry`,
        );
      }
    }
  } finally {
    await producer.disconnect();
  }
}

/** Re-appends, marked as a copy, the record readers of `entries` apply when the log does not end with it. */
async function keepApplied(producer: Producer, topology: string, entries: readonly ControlLogEntry[]): Promise<void> {
  const applied = entryToReappend(entries, topology);
  if (applied === null || applied.value === null) return;
  await producer.send({
    topic: controlTopicName(topology),
    acks: -1,
    messages: [{ key: topology, value: applied.value, headers: { [COPY_HEADER]: COPY_MARK } }],
  });
}
