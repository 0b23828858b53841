/**
 * The worker's replica of the Redis feature state (pure: no I/O). Each entity's state in Redis is an append-only
 * byte log behind a generation header (layout: feature-state-scripts.ts); a replica holds the log's length and header
 * as of the last round trip and the decoded contents. The record script answers, for each entity of the batch, either
 * the bytes appended after the replica's length (same header) or the whole log (new header: a trim, a compaction, a
 * state loss, an expiry, a rebuild): so a replica is always "Redis as of this round trip", whoever wrote in between.
 * A replica that is dropped (memory budget, restart) is simply fetched whole again.
 */
import { HistoryFacts } from '../../core/features/history-facts.js';
import { firstAbove } from '../../core/features/ordered-search.js';
import { CUSTOMER_RECORD_WIDTH } from '../../core/features/state-port.js';

/** First 8 bytes of every log: a NaN payload, which no event time or amount decodes to (the canonical NaN differs). */
export const LOG_MAGIC = Buffer.from([0x46, 0x53, 0x4c, 0x4f, 0x47, 0x31, 0xf8, 0x7f]);
/** Magic, 8 bytes of the writer's per-batch nonce, 8 bytes of a counter: unique per (re)write of a log. */
export const GENERATION_BYTES = 24;
/** Customer logs pad their header to one record, so that records stay 32-byte aligned. */
export const CUSTOMER_HEADER_BYTES = CUSTOMER_RECORD_WIDTH * 8;
export const TERMINAL_HEADER_BYTES = GENERATION_BYTES;
const CUSTOMER_RECORD_BYTES = CUSTOMER_RECORD_WIDTH * 8;
/** A rough per-entity overhead (map entry, objects) for the memory budget. */
const ENTITY_OVERHEAD_BYTES = 160;

/** Copies little-endian float64 values out of a (possibly unaligned) byte slice into `into` at `at`. */
function copyFloats(bytes: Buffer, from: number, to: number, into: Float64Array, at: number): void {
  new Uint8Array(into.buffer, into.byteOffset + at * 8, to - from).set(bytes.subarray(from, to));
}

function grown(array: Float64Array<ArrayBuffer>, used: number, needed: number): Float64Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const next = new Float64Array(Math.max(needed, array.length * 2, 16));
  next.set(array.subarray(0, used));
  return next;
}

abstract class LogReplica {
  /** The log's generation header (GENERATION_BYTES), or null when the log does not exist. */
  header: Buffer | null = null;
  /** Bytes of the log (header included) this replica reflects. */
  length = 0;
  /** Decoded entries (records or times). */
  count = 0;
  /**
   * The writer's trust epoch in which this replica's header was last checked against Redis (-1: never): while no
   * other writer rewrote a log since (the rewrite token), a replica checked in the current epoch needs no header read.
   */
  checkedEpoch = -1;
  /** When this worker last refreshed the entity's TTL (wall clock) and trimmed it (cutoff): feature-state.ts upkeep. */
  upkeepWallMs = -Infinity;
  upkeepCutoffMs = -Infinity;
  /** Set bookkeeping (ReplicaSet): when it was last used, and the bytes the set last counted for it. */
  lastUsed = 0;
  countedBytes = 0;

  abstract bytes(): number;

  /** Forgets everything before a whole log is applied; returns where its body starts (0: it has no header). */
  protected restart(log: Buffer, headerBytes: number): number {
    this.count = 0;
    this.length = 0;
    this.header = null;
    if (!hasMagic(log)) return 0;
    this.header = Buffer.from(log.subarray(0, GENERATION_BYTES));
    return headerBytes;
  }
}

/** A customer's history: CUSTOMER_RECORD_WIDTH float64 per record, in append order. */
export class CustomerReplica extends LogReplica {
  records = new Float64Array(0);
  /** Order and running sums of the records, kept as they are applied (CustomerHistory.inOrder, amountsBefore). */
  readonly facts = new HistoryFacts();

  /** Applies what the record script answered: the appended bytes, or (reset) the whole log. */
  apply(delta: Buffer, reset: boolean): void {
    // A history written without header (an older version; the record script adds one when it answers it) is kept
    // without one: the next batch asks for it whole again.
    const body = reset ? this.restart(delta, CUSTOMER_HEADER_BYTES) : 0;
    if (reset) this.facts.reset();
    const bytes = delta.length - body;
    if (bytes % CUSTOMER_RECORD_BYTES !== 0) {
      throw new Error(`corrupt customer history: ${bytes} bytes is not a multiple of ${CUSTOMER_RECORD_BYTES}`);
    }
    const added = bytes / CUSTOMER_RECORD_BYTES;
    const used = this.count * CUSTOMER_RECORD_WIDTH;
    this.records = grown(this.records, used, used + added * CUSTOMER_RECORD_WIDTH);
    copyFloats(delta, body, delta.length, this.records, used);
    this.facts.append(this.records, this.count, this.count + added);
    this.count += added;
    this.length += delta.length;
  }

  bytes(): number {
    return this.records.byteLength + this.facts.bytes() + ENTITY_OVERHEAD_BYTES;
  }
}

/**
 * A terminal's recorded transaction event times. The log is a sequence of blocks, one per write:
 * [n, n event times, cutoff] (float64), and a block's cutoff drops every earlier time below it, exactly as the
 * memory state's trim does. So the live times are those not below any later cutoff.
 */
export class TerminalReplica extends LogReplica {
  times = new Float64Array(0);
  /**
   * Whether times[0, count) ascend (weakly): then a count is two binary searches. Events mostly come in time order.
   * Every block ends with its cutoff, so the trim's pass over the times, after each block, decides it.
   */
  private ascending = true;

  apply(delta: Buffer, reset: boolean): void {
    let at = reset ? this.restart(delta, TERMINAL_HEADER_BYTES) : 0;
    if (reset && delta.length > 0 && this.header === null) {
      throw new Error('corrupt terminal log: no generation header');
    }
    if ((delta.length - at) % 8 !== 0) {
      throw new Error(`corrupt terminal log: ${delta.length - at} bytes is not a multiple of 8`);
    }
    while (at < delta.length) {
      const n = delta.readDoubleLE(at);
      const end = at + 8 + n * 8;
      if (!Number.isSafeInteger(n) || n < 0 || end + 8 > delta.length) {
        throw new Error('corrupt terminal log: a block runs past the end');
      }
      this.times = grown(this.times, this.count, this.count + n);
      copyFloats(delta, at + 8, end, this.times, this.count);
      this.count += n;
      this.trim(delta.readDoubleLE(end));
      at = end + 8;
    }
    this.length += delta.length;
  }

  /** Times in (fromExclusive, toInclusive]. */
  countIn(fromExclusive: number, toInclusive: number): number {
    const { times } = this;
    if (this.ascending) {
      return toInclusive <= fromExclusive
        ? 0
        : firstAbove(times, 0, this.count, toInclusive) - firstAbove(times, 0, this.count, fromExclusive);
    }
    let count = 0;
    for (let i = 0; i < this.count; i++) {
      const t = times[i]!;
      if (t > fromExclusive && t <= toInclusive) count++;
    }
    return count;
  }

  /** Drops the times below the cutoff; the times left may ascend again (a late one trimmed away). */
  private trim(cutoff: number): void {
    const { times } = this;
    let kept = 0;
    let ascending = true;
    for (let i = 0; i < this.count; i++) {
      const t = times[i]!;
      if (t >= cutoff) {
        if (kept > 0 && t < times[kept - 1]!) ascending = false;
        times[kept++] = t;
      }
    }
    this.count = kept;
    this.ascending = ascending;
  }

  /** Whether the log holds much more than its live times (markers, trimmed times): worth compacting. */
  wasteful(): boolean {
    return this.length > 2 * (TERMINAL_HEADER_BYTES + 16 + this.count * 8) + 1024;
  }

  bytes(): number {
    return this.times.byteLength + ENTITY_OVERHEAD_BYTES;
  }
}

function hasMagic(bytes: Buffer): boolean {
  return bytes.length >= GENERATION_BYTES && bytes.compare(LOG_MAGIC, 0, 8, 0, 8) === 0;
}

/** The order of use shared by the replica sets of one budget: a larger stamp is a more recent use. */
export class UseClock {
  private uses = 0;

  next(): number {
    return ++this.uses;
  }
}

/**
 * Replicas of one kind. Eviction (evictLeastRecentlyUsed) runs only between batches, never between a request that
 * names a replica's length and the answer that extends it. A batch touches a few thousand replicas: get() only stamps
 * them, and recount() recounts only those (an entity's size changes only when it is applied to, after a get()).
 */
export class ReplicaSet<R extends LogReplica> {
  private readonly entries = new Map<string, R>();
  private counted = 0;
  private touched: R[] = [];

  /** Sets sharing one budget share a clock, so that their replicas compare by last use. */
  constructor(
    private readonly create: () => R,
    private readonly clock: UseClock = new UseClock(),
  ) {}

  /** The entity's replica, created empty if unknown, marked most recently used. */
  get(id: string): R {
    let replica = this.entries.get(id);
    if (replica === undefined) {
      replica = this.create();
      this.entries.set(id, replica);
    }
    replica.lastUsed = this.clock.next();
    this.touched.push(replica);
    return replica;
  }

  peek(id: string): R | undefined {
    return this.entries.get(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The bytes held, after counting again the replicas used since the last count. */
  recount(): number {
    for (const replica of this.touched) {
      const bytes = replica.bytes();
      this.counted += bytes - replica.countedBytes;
      replica.countedBytes = bytes;
    }
    this.touched = [];
    return this.counted;
  }

  /** Every replica with its id, for eviction. */
  list(): [string, R][] {
    return [...this.entries];
  }

  /** Forgets a replica; returns the bytes it was counted for. */
  drop(id: string): number {
    const replica = this.entries.get(id);
    if (replica === undefined) return 0;
    this.entries.delete(id);
    this.counted -= replica.countedBytes;
    return replica.countedBytes;
  }
}

/**
 * Keeps replica sets that share one budget within it: when they hold more, the least recently used replicas of any
 * set are dropped until they hold three quarters of it (so that the sort over every replica is rare). One budget
 * for all kinds, because their shares differ by workload: a customer record takes four times a terminal time, and
 * a fixed split left the customers thrashing (dropped, fetched whole, trimmed again) while the terminals' half stood
 * empty. Returns the bytes held.
 */
export function evictLeastRecentlyUsed(sets: readonly ReplicaSet<LogReplica>[], budget: number): number {
  let held = 0;
  for (const set of sets) held += set.recount();
  if (held <= budget) return held;
  const byUse = sets
    .flatMap((set) => set.list().map(([id, replica]) => ({ set, id, lastUsed: replica.lastUsed })))
    .sort((a, b) => a.lastUsed - b.lastUsed);
  for (const { set, id } of byUse) {
    if (held <= budget * 0.75) break;
    held -= set.drop(id);
  }
  return held;
}
