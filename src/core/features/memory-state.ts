import { DAY_MS } from './definitions.js';
import {
  CUSTOMER_FIELD_EVENT_TIME,
  CUSTOMER_RECORD_WIDTH,
  type CustomerHistory,
  type FeatureStatePort,
  type FraudReport,
  type FraudReportWrite,
  type StateRead,
  type StateSnapshot,
  type StateWrite,
} from './state-port.js';

/**
 * The in-memory feature state: the backfill's backend and the reference the Redis backend is tested against. It
 * stores what the Redis backend stores (append-only customer histories, per-terminal event times, fraud reports
 * joined through a transaction index, pending reports), trims by the same cutoffs and answers the same queries; the
 * engine does the rest. Single-threaded and synchronous inside: the promises only honour the port.
 *
 * Built for the backfill's hundreds of thousands of events per second: the entities a recordBatch looked up are
 * reused by the readBatch that follows, the transaction index holds small integers rather than objects, and
 * everything behind the retention is dropped so that memory stays bounded.
 */
export interface MemoryFeatureStateOptions {
  /**
   * Customers and terminals whose newest event is this far behind the newest event seen overall are dropped
   * entirely (trimming already drops their old records). Must exceed the features' retention plus the largest
   * event-time skew between entities; the default (90 days) is more than twice the v1 retention.
   */
  readonly idleEvictionMs?: number;
}

export interface MemoryFeatureStateStats {
  readonly customers: number;
  readonly terminals: number;
  readonly indexedTransactions: number;
  readonly pendingReports: number;
}

export interface MemoryFeatureState extends FeatureStatePort {
  stats(): MemoryFeatureStateStats;
}

const DEFAULT_IDLE_EVICTION_MS = 90 * DAY_MS;
/** Sweep idle entities at most once per day of event time: a sweep walks every entity. */
const SWEEP_EVERY_MS = DAY_MS;
const EMPTY_HISTORY: CustomerHistory = Object.freeze({ records: new Float64Array(0), start: 0, end: 0 });
const NO_REPORTS: readonly FraudReport[] = Object.freeze([]);

export function createMemoryFeatureState(options: MemoryFeatureStateOptions = {}): MemoryFeatureState {
  const idleEvictionMs = options.idleEvictionMs ?? DEFAULT_IDLE_EVICTION_MS;
  const customers = new Map<string, CustomerLog>();
  const terminals = new Map<string, TerminalLog>();
  const index = new TransactionIndex();
  let newestOverall = -Infinity;
  let lastSweep = -Infinity;
  // What the last recordBatch looked up, for the readBatch of the same batch.
  let batchCustomers: { ids: string[]; logs: CustomerLog[] } = { ids: [], logs: [] };
  let batchTerminals: { ids: string[]; logs: TerminalLog[] } = { ids: [], logs: [] };

  function terminalLog(terminalId: string): TerminalLog {
    let log = terminals.get(terminalId);
    if (log === undefined) {
      log = new TerminalLog();
      terminals.set(terminalId, log);
    }
    return log;
  }

  function sweep(): void {
    if (newestOverall - lastSweep < SWEEP_EVERY_MS) {
      return;
    }
    lastSweep = newestOverall;
    const cutoff = newestOverall - idleEvictionMs;
    for (const [id, log] of customers) {
      if (log.newestMs < cutoff) customers.delete(id);
    }
    for (const [id, log] of terminals) {
      if (log.newestMs < cutoff) terminals.delete(id);
    }
  }

  function customerLogsFor(ids: readonly string[]): readonly (CustomerLog | undefined)[] {
    return sameIds(ids, batchCustomers.ids) ? batchCustomers.logs : ids.map((id) => customers.get(id));
  }

  function terminalLogsFor(ids: readonly string[]): readonly (TerminalLog | undefined)[] {
    return sameIds(ids, batchTerminals.ids) ? batchTerminals.logs : ids.map((id) => terminals.get(id));
  }

  return {
    recordBatch(write: StateWrite): Promise<void> {
      const customerIds: string[] = new Array<string>(write.customers.length);
      const customerLogs: CustomerLog[] = new Array<CustomerLog>(write.customers.length);
      for (let g = 0; g < write.customers.length; g++) {
        const append = write.customers[g]!;
        let log = customers.get(append.customerId);
        if (log === undefined) {
          log = new CustomerLog();
          customers.set(append.customerId, log);
        }
        log.append(append.records, append.from, append.to);
        log.trimBefore(append.trimBeforeMs);
        customerIds[g] = append.customerId;
        customerLogs[g] = log;
      }
      const terminalIds: string[] = new Array<string>(write.terminals.length);
      const terminalLogs: TerminalLog[] = new Array<TerminalLog>(write.terminals.length);
      let trimmedBefore = -Infinity;
      for (let g = 0; g < write.terminals.length; g++) {
        const append = write.terminals[g]!;
        const log = terminalLog(append.terminalId);
        for (const tx of append.transactions) {
          if (tx.eventTimeMs > newestOverall) newestOverall = tx.eventTimeMs;
          // First write wins: a replayed (already indexed) transaction changes nothing.
          const added = index.add(tx.transactionId, log, tx.eventTimeMs);
          if (added === ALREADY_INDEXED) {
            continue;
          }
          log.insert(tx.eventTimeMs);
          if (added === JOINED_PENDING) {
            const reportedAtMs = index.reportedAt(index.slotOf(tx.transactionId)!);
            log.putFraud({ transactionId: tx.transactionId, eventTimeMs: tx.eventTimeMs, reportedAtMs });
          }
        }
        log.trimBefore(append.trimBeforeMs);
        if (append.trimBeforeMs > trimmedBefore) trimmedBefore = append.trimBeforeMs;
        terminalIds[g] = append.terminalId;
        terminalLogs[g] = log;
      }
      // Index entries behind the terminal cutoff point at records that are trimmed (or about to be): a late label
      // for them could not change any on-time feature, and dropping them keeps the index to the retention.
      index.evictOlderThan(trimmedBefore);
      batchCustomers = { ids: customerIds, logs: customerLogs };
      batchTerminals = { ids: terminalIds, logs: terminalLogs };
      sweep();
      return Promise.resolve();
    },

    readBatch(read: StateRead): Promise<StateSnapshot> {
      const customerLogs = customerLogsFor(read.customerIds);
      const histories = customerLogs.map((log) => log?.history() ?? EMPTY_HISTORY);

      const ranges = read.terminalCounts;
      const countLogs = terminalLogsFor(ranges.terminalIds);
      const counts = new Float64Array(ranges.fromExclusiveMs.length);
      for (let g = 0; g < countLogs.length; g++) {
        const log = countLogs[g];
        if (log === undefined) continue;
        for (let q = ranges.rangeStart[g]!; q < ranges.rangeStart[g + 1]!; q++) {
          counts[q] = log.count(ranges.fromExclusiveMs[q]!, ranges.toInclusiveMs[q]!);
        }
      }
      // The whole (trimmed, hence short) list of each terminal: the engine filters by event time anyway.
      const fraud = terminalLogsFor(read.terminalFraud.terminalIds).map((log) => log?.fraudReports() ?? NO_REPORTS);
      return Promise.resolve({ customers: histories, terminalCounts: counts, terminalFraud: fraud });
    },

    recordFraudReports(reports: readonly FraudReportWrite[]): Promise<void> {
      for (const report of reports) {
        const slot = index.slotOf(report.transactionId);
        if (slot === undefined) {
          index.addPending(report.transactionId, report.reportedAtMs);
          continue;
        }
        // Keep the earliest report: "known fraudulent by t" holds from the first fraud label on.
        const known = index.reportedAt(slot);
        if (Number.isNaN(known) || report.reportedAtMs < known) {
          index.setReportedAt(slot, report.reportedAtMs);
          index.terminal(slot).putFraud({
            transactionId: report.transactionId,
            eventTimeMs: index.eventTime(slot),
            reportedAtMs: report.reportedAtMs,
          });
        }
      }
      return Promise.resolve();
    },

    stats(): MemoryFeatureStateStats {
      return {
        customers: customers.size,
        terminals: terminals.size,
        indexedTransactions: index.size,
        pendingReports: index.pendingCount,
      };
    },
  };
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/** Slots per segment of the transaction index: segments are dropped whole once every slot in them is evicted. */
const SEGMENT_BITS = 16;
const SEGMENT_SIZE = 1 << SEGMENT_BITS;

interface Segment {
  readonly ids: string[];
  readonly terminals: TerminalLog[];
  readonly eventTimes: Float64Array;
  /** Earliest fraud report, NaN if none. */
  readonly reportedAt: Float64Array;
}

const ADDED = 0;
const ALREADY_INDEXED = 1;
const JOINED_PENDING = 2;
/** The map's value for a fraud report waiting for its transaction (slots are >= 0). */
const PENDING = -1;

/**
 * Transaction id → (terminal, event time, earliest fraud report), and fraud reports waiting for their transaction.
 * One map holds both (a slot number, or PENDING), so that recording a new transaction costs a single map operation:
 * set, then see whether the size grew; only a known id (a replay, or a waiting report) takes the slow path. Slot
 * data lives in fixed-size segments, evicted in insertion order (about event-time order), so memory follows the
 * retention, not the length of the backfill. Waiting reports are never evicted (the backfill reads all labels first).
 */
class TransactionIndex {
  private readonly slots = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  private readonly segments: Segment[] = [];
  /** Global slot number of segments[0][0]. */
  private base = 0;
  private next = 0;
  private evicted = 0;

  get size(): number {
    return this.slots.size - this.pending.size;
  }
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Indexes the transaction unless already indexed, joining a waiting report (then readable via reportedAt). */
  add(
    id: string,
    terminal: TerminalLog,
    eventTimeMs: number,
  ): typeof ADDED | typeof ALREADY_INDEXED | typeof JOINED_PENDING {
    const slot = this.next;
    const size = this.slots.size;
    this.slots.set(id, slot);
    let reportedAtMs = Number.NaN;
    if (this.slots.size === size) {
      const waiting = this.pending.get(id);
      if (waiting === undefined) {
        // Known id: put its slot back. The segment that still names the id gives it; replays are recent, so the
        // backwards scan is short.
        this.slots.set(id, this.findSlot(id));
        return ALREADY_INDEXED;
      }
      this.pending.delete(id);
      reportedAtMs = waiting;
    }
    const offset = slot - this.base;
    if (offset >> SEGMENT_BITS === this.segments.length) {
      this.segments.push({
        ids: new Array<string>(SEGMENT_SIZE),
        terminals: new Array<TerminalLog>(SEGMENT_SIZE),
        eventTimes: new Float64Array(SEGMENT_SIZE),
        reportedAt: new Float64Array(SEGMENT_SIZE),
      });
    }
    const segment = this.segments[offset >> SEGMENT_BITS]!;
    const at = offset & (SEGMENT_SIZE - 1);
    segment.ids[at] = id;
    segment.terminals[at] = terminal;
    segment.eventTimes[at] = eventTimeMs;
    segment.reportedAt[at] = reportedAtMs;
    this.next++;
    return Number.isNaN(reportedAtMs) ? ADDED : JOINED_PENDING;
  }

  /** A fraud report for a transaction not indexed: waits, keeping the earliest. */
  addPending(id: string, reportedAtMs: number): void {
    const known = this.pending.get(id);
    if (known === undefined || reportedAtMs < known) {
      this.pending.set(id, reportedAtMs);
      this.slots.set(id, PENDING);
    }
  }

  /** The slot of an indexed transaction; undefined if unknown or only waited for. */
  slotOf(id: string): number | undefined {
    const slot = this.slots.get(id);
    return slot === PENDING ? undefined : slot;
  }
  terminal(slot: number): TerminalLog {
    return this.segmentOf(slot).terminals[(slot - this.base) & (SEGMENT_SIZE - 1)]!;
  }
  eventTime(slot: number): number {
    return this.segmentOf(slot).eventTimes[(slot - this.base) & (SEGMENT_SIZE - 1)]!;
  }
  reportedAt(slot: number): number {
    return this.segmentOf(slot).reportedAt[(slot - this.base) & (SEGMENT_SIZE - 1)]!;
  }
  setReportedAt(slot: number, reportedAtMs: number): void {
    this.segmentOf(slot).reportedAt[(slot - this.base) & (SEGMENT_SIZE - 1)] = reportedAtMs;
  }

  evictOlderThan(cutoff: number): void {
    while (this.evicted < this.next) {
      const offset = this.evicted - this.base;
      const segment = this.segments[offset >> SEGMENT_BITS]!;
      const at = offset & (SEGMENT_SIZE - 1);
      if (!(segment.eventTimes[at]! < cutoff)) {
        break;
      }
      // The id's map entry is this slot: add() never re-points a live id at another slot.
      this.slots.delete(segment.ids[at]!);
      this.evicted++;
      if (at === SEGMENT_SIZE - 1) {
        this.segments.shift();
        this.base += SEGMENT_SIZE;
      }
    }
  }

  private segmentOf(slot: number): Segment {
    return this.segments[(slot - this.base) >> SEGMENT_BITS]!;
  }

  /** The live slot of an id whose map entry was just overwritten: rare (replays only), so a scan is fine. */
  private findSlot(id: string): number {
    for (let slot = this.next - 1; slot >= this.evicted; slot--) {
      const offset = slot - this.base;
      if (this.segments[offset >> SEGMENT_BITS]!.ids[offset & (SEGMENT_SIZE - 1)] === id) {
        return slot;
      }
    }
    throw new Error(`transaction index lost ${id}`);
  }
}

/**
 * One customer's append-only history: interleaved records in a plain number array (V8 keeps it as packed doubles,
 * grown in place by push: cheaper than reallocating typed arrays for tens of thousands of small histories), with a
 * dropped prefix compacted once it is half the array.
 */
class CustomerLog {
  private data: number[] = [];
  private start = 0;
  newestMs = -Infinity;

  append(records: Float64Array, from: number, to: number): void {
    for (let i = from * CUSTOMER_RECORD_WIDTH; i < to * CUSTOMER_RECORD_WIDTH; i++) {
      this.data.push(records[i]!);
    }
    for (let r = from; r < to; r++) {
      const time = records[r * CUSTOMER_RECORD_WIDTH + CUSTOMER_FIELD_EVENT_TIME]!;
      if (time > this.newestMs) this.newestMs = time;
    }
  }

  /** Drops the prefix of records older than the cutoff (a late record behind it stays: harmless, never counted). */
  trimBefore(cutoff: number): void {
    const end = this.data.length / CUSTOMER_RECORD_WIDTH;
    while (this.start < end && this.data[this.start * CUSTOMER_RECORD_WIDTH + CUSTOMER_FIELD_EVENT_TIME]! < cutoff) {
      this.start++;
    }
    if (this.start > 16 && this.start * 2 > end) {
      this.data.splice(0, this.start * CUSTOMER_RECORD_WIDTH);
      this.start = 0;
    }
  }

  history(): CustomerHistory {
    return { records: this.data, start: this.start, end: this.data.length / CUSTOMER_RECORD_WIDTH };
  }
}

/** One terminal's recorded event times (sorted, like a sorted set's scores) and its joined fraud reports. */
class TerminalLog {
  /** Sorted; a plain number array (packed doubles) for the same reason as CustomerLog. */
  private times: number[] = [];
  private start = 0;
  /** Sorted by transaction event time, one per transaction. */
  private fraud: FraudReport[] = [];
  newestMs = -Infinity;

  insert(time: number): void {
    if (time > this.newestMs) this.newestMs = time;
    const times = this.times;
    // Events arrive mostly in time order: appending is the common case, a shift only for a late one.
    if (times.length === this.start || time >= times[times.length - 1]!) {
      times.push(time);
      return;
    }
    times.splice(this.upperBound(time), 0, time);
  }

  /** Number of recorded times in (from, to], like ZCOUNT key (from to. */
  count(fromExclusive: number, toInclusive: number): number {
    if (toInclusive <= fromExclusive) {
      return 0;
    }
    return this.upperBound(toInclusive) - this.upperBound(fromExclusive);
  }

  trimBefore(cutoff: number): void {
    this.start = this.lowerBound(cutoff);
    if (this.start > 64 && this.start * 2 > this.times.length) {
      this.times.splice(0, this.start);
      this.start = 0;
    }
    if (this.fraud.length > 0 && this.fraud[0]!.eventTimeMs < cutoff) {
      this.fraud = this.fraud.filter((report) => report.eventTimeMs >= cutoff);
    }
  }

  /** Inserts or replaces the transaction's report. */
  putFraud(report: FraudReport): void {
    const existing = this.fraud.findIndex((item) => item.transactionId === report.transactionId);
    if (existing !== -1) {
      this.fraud.splice(existing, 1);
    }
    let at = this.fraud.length;
    while (at > 0 && this.fraud[at - 1]!.eventTimeMs > report.eventTimeMs) {
      at--;
    }
    this.fraud.splice(at, 0, report);
  }

  fraudReports(): readonly FraudReport[] {
    return this.fraud.length === 0 ? NO_REPORTS : this.fraud;
  }

  /** First index in [start, end) whose time is > value. */
  private upperBound(value: number): number {
    let low = this.start;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.times[mid]! <= value) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** First index in [start, end) whose time is >= value. */
  private lowerBound(value: number): number {
    let low = this.start;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.times[mid]! < value) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
