import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { Consumer, ConsumerRunConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { ConsumerReruns, consumerGivenUp, warnOfRerun } from '../adapters/kafka/consumer-give-up.js';
import { callUnlessRestarting } from '../adapters/kafka/pause-calls.js';
import type { Logger } from '../adapters/observability/logger.js';
import { connectDirectly, type Connecting } from '../config/index.js';
import { BackfillOptionError } from './errors.js';

/** What the manifest records about one partition of a topic read by the backfill. */
export interface TopicPartitionFingerprint {
  readonly partition: number;
  /** The earliest offset in the log when the read started (older records had been deleted). */
  readonly lowOffset: number;
  /** The high watermark when the read started: the read stops there; records appended later are not read. */
  readonly highOffset: number;
  /** Records read (control records and records of aborted transactions are not records). */
  readonly records: number;
  /** Of those, records skipped as the pipeline would dead-letter them. */
  readonly skipped: number;
  /** SHA-256 over the records read, in offset order: offset (8 bytes), value length (4 bytes, -1 = null), value. */
  readonly sha256: string;
}

/** What the manifest records about a topic read by the backfill: the same topic and offsets give the same object. */
export interface TopicFingerprint {
  readonly topic: string;
  readonly partitions: readonly TopicPartitionFingerprint[];
  readonly records: number;
  /** Skipped records by dead-letter reason (sorted keys). */
  readonly skipped: Readonly<Record<string, number>>;
}

export type DecodeOutcome<T> =
  { readonly ok: true; readonly record: T } | { readonly ok: false; readonly reason: string };

/** Turns raw values into records, or into the reason the pipeline would dead-letter them. */
export interface RecordDecoder<T> {
  /** Called with each fetched batch before decode() (registry look-ups). Throws only when infrastructure fails. */
  prepare(values: readonly (Buffer | null)[]): Promise<void>;
  /** `keyBytes`: the length of the record's Kafka key, which the contract's size limit covers too. */
  decode(value: Buffer | null, partition: number, offset: number, keyBytes: number): DecodeOutcome<T>;
}

export interface TopicReaderOptions<T> {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly decoder: RecordDecoder<T>;
  /**
   * Records held per partition before fetching from it pauses. A k-way merge needs a head from every partition, so
   * memory is bounded by partitions × this (plus one fetch, ≤ 1 MiB of raw records), not by the topic's size.
   */
  readonly maxBufferedPerPartition?: number;
  /** Give up when no fetch has made progress for this long (a broker that went away would otherwise hang the run). */
  readonly stallTimeoutMs?: number;
  /**
   * Per partition, read only below this offset instead of the high watermark (a state rebuild stops at the consumer
   * group's committed offsets: what the workers have absorbed). A partition not listed is read to its high watermark.
   */
  readonly untilOffsets?: ReadonlyMap<number, number>;
  /**
   * Wraps the steps that reach Kafka (offsets, the consumer) and the registry (decoder.prepare): with a topology's
   * (runtime/startup-errors.ts: connectingFor), a failure is explained naming its field and the fix.
   */
  readonly connecting?: Connecting;
  /**
   * Where a warning goes when kafkajs stops the reader for want of its group coordinator (a broker restarting) and
   * the reader runs again (adapters/kafka/consumer-give-up.ts).
   */
  readonly log?: Pick<Logger, 'warn'>;
}

const DEFAULT_MAX_BUFFERED = 20_000;
/** Resume a paused partition once it is down to a quarter: a resume costs a fetch round trip, not worth it per record. */
const RESUME_FRACTION = 4;
/**
 * Two minutes: longer than Kafka's default transaction timeout (60 s), since a transaction left open by a producer
 * at the start of the read holds a read_committed consumer at its first record until the broker aborts it.
 */
const DEFAULT_STALL_TIMEOUT_MS = 120_000;
/** Fetch long-poll: short, so that the end of a partition whose last records were filtered out is seen quickly. */
const MAX_WAIT_MS = 250;

/** One partition's queue of decoded records, and where its read stands. */
export class PartitionBuffer<T> {
  private items: T[] = [];
  private head = 0;
  /** Offsets below this were seen (delivered, or passed over as control records or aborted records). */
  position: number;
  /** The next offset a record may have: anything lower is a redelivery and ignored. */
  next: number;
  records = 0;
  skipped = 0;
  paused = false;
  private readonly hash: Hash = createHash('sha256');
  private digest: string | null = null;

  constructor(
    readonly partition: number,
    readonly lowOffset: number,
    readonly highOffset: number,
  ) {
    this.position = lowOffset;
    this.next = lowOffset;
  }

  /** Every offset below the high watermark has been seen: no record of this partition is still to come. */
  get complete(): boolean {
    return this.position >= this.highOffset;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Complete and drained. */
  get exhausted(): boolean {
    return this.complete && this.size === 0;
  }

  peek(): T {
    return this.items[this.head]!;
  }

  shift(): T {
    const item = this.items[this.head]!;
    this.head++;
    // Drop the consumed prefix once it is half the array: amortised O(1), no per-record splice.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  push(item: T): void {
    this.items.push(item);
  }

  hashRecord(offset: number, value: Buffer | null): void {
    const header = Buffer.allocUnsafe(12);
    header.writeBigInt64BE(BigInt(offset), 0);
    header.writeInt32BE(value === null ? -1 : value.length, 8);
    this.hash.update(header);
    if (value !== null) this.hash.update(value);
  }

  fingerprint(): TopicPartitionFingerprint {
    this.digest ??= this.hash.digest('hex');
    return {
      partition: this.partition,
      lowOffset: this.lowOffset,
      highOffset: this.highOffset,
      records: this.records,
      skipped: this.skipped,
      sha256: this.digest,
    };
  }
}

/**
 * Reads one topic from its beginning to the high watermarks fetched at the start, read_committed, into one bounded
 * buffer per partition, for the backfill's sources. A consumer group of its own (random id, never committed: it
 * owns every partition and leaves nothing behind but an empty group, which the broker drops) because kafkajs has no
 * group-less consumer; the end of a partition is known from kafkajs' batch events, which also report batches that
 * were entirely control records or aborted records.
 */
export class TopicReader<T> {
  readonly topic: string;
  private readonly kafka: Kafka;
  private readonly decoder: RecordDecoder<T>;
  private readonly maxBuffered: number;
  private readonly stallTimeoutMs: number;
  private readonly untilOffsets: ReadonlyMap<number, number> | undefined;
  private readonly connecting: Connecting;
  private readonly log: Pick<Logger, 'warn'> | undefined;
  private consumer: Consumer | undefined;
  private reruns: ConsumerReruns | undefined;
  private buffers: PartitionBuffer<T>[] = [];
  private readonly byPartition = new Map<number, PartitionBuffer<T>>();
  private readonly skippedByReason = new Map<string, number>();
  private failure: unknown;
  private wake: (() => void) | undefined;
  /** Progress was made while nobody waited (the caller was busy with a batch): the next wait returns at once. */
  private unseenProgress = false;
  private opened = false;
  private closed = false;
  /** Runs again after a lost coordinator, and the latest error (for the stall's message while one is pending). */
  private lostCoordinator: { readonly error: Error; readonly reruns: number } | null = null;

  constructor(options: TopicReaderOptions<T>) {
    this.kafka = options.kafka;
    this.topic = options.topic;
    this.decoder = options.decoder;
    this.maxBuffered = options.maxBufferedPerPartition ?? DEFAULT_MAX_BUFFERED;
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.untilOffsets = options.untilOffsets;
    this.connecting = options.connecting ?? connectDirectly;
    this.log = options.log;
    if (!Number.isSafeInteger(this.maxBuffered) || this.maxBuffered < 1) {
      throw new RangeError(`maxBufferedPerPartition must be a positive integer, got ${String(this.maxBuffered)}`);
    }
  }

  /** The partitions in ascending order (the merge's tie-break order). Valid after open(). */
  get partitions(): readonly PartitionBuffer<T>[] {
    return this.buffers;
  }

  /** Fetches the offsets and starts reading. */
  async open(): Promise<void> {
    if (this.opened) throw new Error(`topic ${this.topic} is already being read`);
    this.opened = true;
    const offsets = await this.connecting('kafka', () => this.fetchOffsets());
    this.buffers = offsets
      .map(({ partition, low, high }) => {
        const lowOffset = safeOffset(low);
        const until = this.untilOffsets?.get(partition) ?? Infinity;
        return new PartitionBuffer<T>(partition, lowOffset, Math.max(lowOffset, Math.min(safeOffset(high), until)));
      })
      .sort((a, b) => a.partition - b.partition);
    for (const buffer of this.buffers) {
      this.byPartition.set(buffer.partition, buffer);
      // Nothing to read: paused as soon as the consumer joins (onJoin).
      if (buffer.complete) buffer.paused = true;
    }
    if (this.buffers.every((buffer) => buffer.complete)) return;

    const consumer = this.kafka.consumer({
      groupId: `fraudscore.backfill.${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: MAX_WAIT_MS,
      // kafkajs's own restart after an error it retries, unless the reader was closed meanwhile (kafkajs's stop
      // does not stop a restart already under way: one ending in a crash after the close must not start another).
      retry: { retries: 5, restartOnFailure: async () => !this.closed },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // Also emitted for fetches that held only control records or aborted records: they advance the position too.
      const buffer = payload.topic === this.topic ? this.byPartition.get(payload.partition) : undefined;
      if (buffer) this.advance(buffer, Number(payload.lastOffset));
    });
    consumer.on(consumer.events.GROUP_JOIN, () => this.onJoin());
    const runOptions: ConsumerRunConfig = { autoCommit: false, eachBatch: (payload) => this.onBatch(payload) };
    // A broker restarting can leave kafkajs without a group coordinator to find, and it then stops the consumer for
    // good: run it again, as the worker does; the stall timeout still bounds how long the read may stand still.
    const warn = warnOfRerun(
      this.log,
      `the backfill's reader of ${this.topic}`,
      `until the read has made no progress for ${this.stallTimeoutMs / 1000} s`,
    );
    const reruns = new ConsumerReruns(
      () => consumer.run(runOptions),
      (error, inMs) => {
        this.lostCoordinator = { error, reruns: (this.lostCoordinator?.reruns ?? 0) + 1 };
        warn?.(error, inMs);
      },
    );
    this.reruns = reruns;
    void consumerGivenUp(consumer, reruns).then((error) => this.fail(error));
    await this.connecting('kafka', async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run(runOptions);
    });
  }

  /**
   * The consumer joined its group: at the start, and each time kafkajs starts it again (it restarts a consumer after
   * an error it retries, and the reader runs it again after a lost coordinator). Either start makes kafkajs a new
   * group state with nothing paused, which would fetch the paused partitions to their ends into the buffers, and
   * every partition from its beginning (nothing is committed): before the first fetch, pause them again and move
   * each partition still to be read to where its read stands (kafkajs applies a seek of a consumer that does not
   * commit locally). (A disconnect here would not stop a start under way at close: kafkajs emits the join before
   * its runner counts as running, so its stop does nothing and the runner goes on without an owner.)
   */
  private onJoin(): void {
    if (this.closed) return;
    const paused = this.buffers.filter((buffer) => buffer.paused).map((buffer) => buffer.partition);
    if (paused.length > 0) this.tell((c) => c.pause([{ topic: this.topic, partitions: paused }]));
    for (const buffer of this.buffers) {
      if (buffer.complete || buffer.position <= buffer.lowOffset) continue;
      this.tell((c) => c.seek({ topic: this.topic, partition: buffer.partition, offset: String(buffer.position) }));
    }
  }

  private async fetchOffsets(): Promise<{ partition: number; low: string; high: string }[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(this.topic)) {
        throw new BackfillOptionError(`topic:${this.topic}`, 'no such topic on the brokers of the topology');
      }
      return await admin.fetchTopicOffsets(this.topic);
    } finally {
      await admin.disconnect();
    }
  }

  /** Resolves when a fetch made progress; throws if the read failed or stalled. */
  async waitForProgress(): Promise<void> {
    this.throwIfFailed();
    if (this.unseenProgress) {
      this.unseenProgress = false;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const progressed = await new Promise<boolean>((resolve) => {
      this.wake = () => resolve(true);
      timer = setTimeout(() => resolve(false), this.stallTimeoutMs);
    });
    clearTimeout(timer);
    this.throwIfFailed();
    if (!progressed) {
      const open = this.buffers.filter((buffer) => !buffer.complete);
      const lost = this.lostCoordinator;
      if (lost !== null && this.reruns?.pending() === true) {
        throw new Error(
          `reading topic ${this.topic}: no progress for ${this.stallTimeoutMs / 1000} s since kafkajs lost the ` +
            `reader's group coordinator (run again ${lost.reruns} times): no broker answered all that time, or this ` +
            'client may not use the group (an ACL missing for the group ids fraudscore.backfill.*). Check the ' +
            'brokers and the ACLs, then run again',
          { cause: lost.error },
        );
      }
      throw new Error(
        `reading topic ${this.topic}: no progress for ${this.stallTimeoutMs / 1000} s; still open: ` +
          open.map((b) => `partition ${b.partition} at offset ${b.position} of ${b.highOffset}`).join(', ') +
          '. Check that the brokers are up (and no producer holds a transaction open on the topic), then run again',
      );
    }
  }

  /** Takes the head record of a partition (there must be one), resuming its fetches when it has room again. */
  take(buffer: PartitionBuffer<T>): T {
    const item = buffer.shift();
    if (buffer.paused && !buffer.complete && buffer.size <= this.maxBuffered / RESUME_FRACTION) {
      buffer.paused = false;
      this.tell((consumer) => consumer.resume([{ topic: this.topic, partitions: [buffer.partition] }]));
    }
    return item;
  }

  /** Work done and total, in offsets. */
  progress(): { readonly done: number; readonly total: number } {
    let done = 0;
    let total = 0;
    for (const buffer of this.buffers) {
      done += Math.min(buffer.position, buffer.highOffset) - buffer.lowOffset;
      total += buffer.highOffset - buffer.lowOffset;
    }
    return { done, total };
  }

  /** Available once every partition has been read to its end. */
  fingerprint(): TopicFingerprint {
    if (!this.opened || !this.buffers.every((buffer) => buffer.complete)) {
      throw new Error(`topic ${this.topic} has not been read to the end`);
    }
    const skipped: Record<string, number> = {};
    for (const reason of [...this.skippedByReason.keys()].sort()) skipped[reason] = this.skippedByReason.get(reason)!;
    return {
      topic: this.topic,
      partitions: this.buffers.map((buffer) => buffer.fingerprint()),
      records: this.buffers.reduce((sum, buffer) => sum + buffer.records, 0),
      skipped,
    };
  }

  /** Leaves the group (nothing was committed). Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    // A rerun joining the group now would outlive the disconnect (consumer-give-up.ts: ConsumerReruns.stop).
    await this.reruns?.stop();
    await consumer?.disconnect();
  }

  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    const buffer = batch.topic === this.topic ? this.byPartition.get(batch.partition) : undefined;
    if (buffer === undefined || buffer.complete || this.failure !== undefined || this.closed) return;
    try {
      await this.connecting('registry', () => this.decoder.prepare(batch.messages.map((message) => message.value)));
    } catch (error) {
      this.fail(error);
      return;
    }
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      // Below next: delivered again (a retried fetch); at or past the high watermark: appended after the start.
      if (offset < buffer.next || offset >= buffer.highOffset) continue;
      buffer.next = offset + 1;
      buffer.records++;
      buffer.hashRecord(offset, message.value);
      const outcome = this.decoder.decode(message.value, buffer.partition, offset, message.key?.length ?? 0);
      if (outcome.ok) {
        buffer.push(outcome.record);
      } else {
        buffer.skipped++;
        this.skippedByReason.set(outcome.reason, (this.skippedByReason.get(outcome.reason) ?? 0) + 1);
      }
    }
    this.advance(buffer, Number(batch.lastOffset()));
  }

  private advance(buffer: PartitionBuffer<T>, lastOffset: number): void {
    if (Number.isSafeInteger(lastOffset) && lastOffset + 1 > buffer.position) buffer.position = lastOffset + 1;
    if (!buffer.paused && (buffer.complete || buffer.size >= this.maxBuffered)) {
      buffer.paused = true;
      this.tell((consumer) => consumer.pause([{ topic: this.topic, partitions: [buffer.partition] }]));
    }
    this.notify();
  }

  /** A pause, resume or seek of the consumer; lost while kafkajs restarts it, which onJoin makes good. */
  private tell(call: (consumer: Consumer) => void): void {
    const consumer = this.consumer;
    if (consumer !== undefined) callUnlessRestarting(() => call(consumer));
  }

  private fail(error: unknown): void {
    this.failure ??= error ?? new Error(`reading topic ${this.topic} failed`);
    this.notify();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    if (wake) wake();
    else this.unseenProgress = true;
  }
}

function safeOffset(text: string): number {
  const offset = Number(text);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new Error(`offset ${text} is beyond 2^53: the backfill keeps positions as exact float64 integers`);
  }
  return offset;
}
