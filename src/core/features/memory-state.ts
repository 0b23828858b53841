import { DAY_MS } from './definitions.js';
import { FeatureStateBehindError } from './errors.js';
import { HistoryFacts } from './history-facts.js';
import { firstAbove, sameIds } from './ordered-search.js';
import {
  CUSTOMER_FIELD_EVENT_TIME,
  CUSTOMER_FIELD_OFFSET,
  CUSTOMER_FIELD_PARTITION,
  CUSTOMER_RECORD_WIDTH,
  type CustomerHistory,
  type DuplicateRecord,
  type FeatureStatePort,
  type FraudReport,
  type FraudReportWrite,
  type RecordResult,
  type StateRead,
  type StateSnapshot,
  type StateWrite,
} from './state-port.js';

/**
 * The in-memory feature state: the backfill's backend and the reference the Redis backend is tested against. It
 * stores what the Redis backend stores (append-only customer histories, per-terminal transactions, fraud reports
 * joined to their transaction, pending reports), trims by the same cutoffs and answers the same queries; the engine
 * does the rest. Single-threaded and synchronous inside: the promises only honour the port.
 *
 * Built for the backfill's hundreds of thousands of events per second: the entities a recordBatch looked up are
 * reused by the readBatch that follows; a replay is recognised at its terminal (same event time and id, next to
 * the terminal's newest entries) rather than through a global index; and the transaction-id index that late labels
 * need is built only when a label arrives after transactions were recorded, which never happens in the backfill
 * (it reads all labels first). Everything behind the retention is dropped, so memory stays bounded.
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
  /** Transactions in the id index (0 until a label arrives after transactions). */
  readonly indexedTransactions: number;
  /** Transaction ids remembered for duplicate detection (about two duplicate horizons of event time). */
  readonly claimedTransactions: number;
  readonly pendingReports: number;
}

export interface MemoryFeatureState extends FeatureStatePort {
  stats(): MemoryFeatureStateStats;
}

const DEFAULT_IDLE_EVICTION_MS = 90 * DAY_MS;
/** Sweep idle entities at most once per day of event time: a sweep walks every entity. */
const SWEEP_EVERY_MS = DAY_MS;
const NO_DUPLICATES: RecordResult = Object.freeze({ duplicates: Object.freeze([]) });
const EMPTY_HISTORY: CustomerHistory = Object.freeze({ records: new Float64Array(0), start: 0, end: 0 });
const NO_REPORTS: readonly FraudReport[] = Object.freeze([]);

export function createMemoryFeatureState(options: MemoryFeatureStateOptions = {}): MemoryFeatureState {
  const idleEvictionMs = options.idleEvictionMs ?? DEFAULT_IDLE_EVICTION_MS;
  const customers = new Map<string, CustomerLog>();
  const terminals = new Map<string, TerminalLog>();
  const pending = new Map<string, number>();
  /** Transaction id → where it was first recorded; null until a label arrives after transactions (see above). */
  let index: TransactionIndex | null = null;
  let recordedAny = false;
  /** Counts recordings: orders entries across terminals for the lazily built index. */
  let recorded = 0;
  let newestOverall = -Infinity;
  let lastSweep = -Infinity;
  const claims = new ClaimIndex();
  /** Per input partition, the next offset to absorb (the absorbed-offset marker, as in Redis). */
  const absorbed = new Map<number, number>();
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
    // forEach rather than for-of over entries: no [id, log] pair allocated per entity.
    customers.forEach((log, id) => {
      if (log.newestMs < cutoff) customers.delete(id);
    });
    terminals.forEach((log, id) => {
      if (log.newestMs < cutoff) terminals.delete(id);
    });
  }

  function recordCustomers(write: StateWrite, duplicate: Uint8Array | null): { ids: string[]; logs: CustomerLog[] } {
    const ids: string[] = new Array<string>(write.customers.length);
    const logs: CustomerLog[] = new Array<CustomerLog>(write.customers.length);
    for (let g = 0; g < write.customers.length; g++) {
      const append = write.customers[g]!;
      let log = customers.get(append.customerId);
      if (log === undefined) {
        log = new CustomerLog();
        customers.set(append.customerId, log);
      }
      if (duplicate === null) {
        log.append(append.records, append.from, append.to);
      } else {
        for (let r = append.from; r < append.to; r++) if (duplicate[r] === 0) log.append(append.records, r, r + 1);
      }
      log.trimBefore(append.trimBeforeMs);
      ids[g] = append.customerId;
      logs[g] = log;
    }
    return { ids, logs };
  }

  function recordTerminals(write: StateWrite, duplicate: Uint8Array | null): { ids: string[]; logs: TerminalLog[] } {
    const ids: string[] = new Array<string>(write.terminals.length);
    const logs: TerminalLog[] = new Array<TerminalLog>(write.terminals.length);
    let trimmedBefore = -Infinity;
    for (let g = 0; g < write.terminals.length; g++) {
      const append = write.terminals[g]!;
      const log = terminalLog(append.terminalId);
      for (const record of append.records) {
        if (duplicate !== null && duplicate[record] === 1) continue;
        const time = write.records[record * CUSTOMER_RECORD_WIDTH + CUSTOMER_FIELD_EVENT_TIME]!;
        recordTransaction(log, write.transactionIds[record]!, time);
      }
      log.trimBefore(append.trimBeforeMs);
      if (append.trimBeforeMs > trimmedBefore) trimmedBefore = append.trimBeforeMs;
      ids[g] = append.terminalId;
      logs[g] = log;
    }
    // Index entries behind the terminal cutoff point at records that are trimmed (or about to be): a late label
    // for them could not change any on-time feature, and dropping them keeps the index to the retention.
    index?.evictOlderThan(trimmedBefore);
    return { ids, logs };
  }

  function recordTransaction(log: TerminalLog, id: string, eventTimeMs: number): void {
    if (eventTimeMs > newestOverall) newestOverall = eventTimeMs;
    // A replay finds its (event time, id) at the terminal and changes nothing.
    if (!log.insert(eventTimeMs, id, recorded++)) {
      return;
    }
    recordedAny = true;
    // Only the first recording of an id is indexed and joins a waiting report (as SET NX online).
    const first = index === null || index.add(id, log, eventTimeMs);
    if (first && pending.size > 0) {
      joinPending(log, id, eventTimeMs);
    }
  }

  function joinPending(log: TerminalLog, id: string, eventTimeMs: number): void {
    const reportedAtMs = pending.get(id);
    if (reportedAtMs !== undefined) {
      pending.delete(id);
      if (index !== null) index.setReportedAt(index.slotOf(id)!, reportedAtMs);
      log.putFraud({ transactionId: id, eventTimeMs, reportedAtMs });
    }
  }

  function customerLogsFor(ids: readonly string[]): readonly (CustomerLog | undefined)[] {
    return sameIds(ids, batchCustomers.ids) ? batchCustomers.logs : ids.map((id) => customers.get(id));
  }

  function terminalLogsFor(ids: readonly string[]): readonly (TerminalLog | undefined)[] {
    return sameIds(ids, batchTerminals.ids) ? batchTerminals.logs : ids.map((id) => terminals.get(id));
  }

  /** As the Redis script: every progress entry checked before anything is written. */
  function checkProgress(write: StateWrite): void {
    for (const { partition, expected, from } of write.progress) {
      const marker = absorbed.get(partition);
      if (marker === undefined ? expected >= 0 || from > 0 : marker < expected) {
        throw new FeatureStateBehindError(partition, marker ?? null, Math.max(expected, from > 0 ? from : 0));
      }
    }
  }

  /** Claims each record's transaction id in record order; returns which records are duplicates (null: none). */
  function claimAll(write: StateWrite): { duplicates: DuplicateRecord[]; mask: Uint8Array | null } {
    const duplicates: DuplicateRecord[] = [];
    let mask: Uint8Array | null = null;
    const { records, transactionIds, logOrder } = write;
    for (let j = 0; j < logOrder.length; j++) {
      const k = logOrder[j]!;
      const at = k * CUSTOMER_RECORD_WIDTH;
      const first = claims.claim(
        transactionIds[k]!,
        records[at + CUSTOMER_FIELD_EVENT_TIME]!,
        records[at + CUSTOMER_FIELD_PARTITION]!,
        records[at + CUSTOMER_FIELD_OFFSET]!,
        write.duplicateHorizonMs,
      );
      if (first !== null) {
        (mask ??= new Uint8Array(transactionIds.length))[k] = 1;
        duplicates.push({ record: k, first });
      }
    }
    duplicates.sort((a, b) => a.record - b.record);
    return { duplicates, mask };
  }

  return {
    recordBatch(write: StateWrite): Promise<RecordResult> {
      checkProgress(write);
      const { duplicates, mask } = claimAll(write);
      // Small functions, each hot loop in its own: V8 optimises them better than one large body.
      batchCustomers = recordCustomers(write, mask);
      batchTerminals = recordTerminals(write, mask);
      for (const { partition, to } of write.progress) {
        absorbed.set(partition, Math.max(absorbed.get(partition) ?? 0, to));
      }
      claims.evictOlderThan(newestOverall - 2 * write.duplicateHorizonMs);
      sweep();
      return Promise.resolve(duplicates.length === 0 ? NO_DUPLICATES : { duplicates });
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
      if (index === null && recordedAny) {
        index = TransactionIndex.fromTerminals([...terminals.values()]);
      }
      for (const report of reports) {
        const slot = index?.slotOf(report.transactionId);
        if (index === null || slot === undefined) {
          const known = pending.get(report.transactionId);
          if (known === undefined || report.reportedAtMs < known) {
            pending.set(report.transactionId, report.reportedAtMs);
          }
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
        indexedTransactions: index?.size ?? 0,
        claimedTransactions: claims.size,
        pendingReports: pending.size,
      };
    },
  };
}

/**
 * Transaction id → its claim (event time, partition, offset of its latest recording that was no duplicate), for
 * duplicate detection: what the Redis backend keeps in its `d:` keys. Entries are dropped in recording order once
 * their event time is more than two duplicate horizons behind the newest event.
 */
class ClaimIndex {
  /** Id → its claim's sequence number; the claim's fields are at sequence − dropped in the arrays. */
  private readonly byId = new Map<string, number>();
  /** Claims compacted away from the front of the arrays. */
  private dropped = 0;
  private ids: string[] = [];
  private times: number[] = [];
  private partitions: number[] = [];
  private offsets: number[] = [];
  private head = 0;

  get size(): number {
    return this.byId.size;
  }

  /** Null when the record takes (or already holds: a replay) the claim; else the claim's position. */
  claim(
    id: string,
    time: number,
    partition: number,
    offset: number,
    horizonMs: number,
  ): { partition: number; offset: number } | null {
    const sequence = this.byId.get(id);
    if (sequence !== undefined) {
      const slot = sequence - this.dropped;
      const claimed = { partition: this.partitions[slot]!, offset: this.offsets[slot]! };
      if (claimed.partition === partition && claimed.offset === offset) return null;
      if (Math.abs(time - this.times[slot]!) <= horizonMs) return claimed;
    }
    // New, or the id reused beyond the horizon: this recording is what later repeats are measured against.
    this.byId.set(id, this.dropped + this.ids.length);
    this.ids.push(id);
    this.times.push(time);
    this.partitions.push(partition);
    this.offsets.push(offset);
    return null;
  }

  evictOlderThan(cutoff: number): void {
    while (this.head < this.ids.length && this.times[this.head]! < cutoff) {
      const id = this.ids[this.head]!;
      // An id that took a newer claim keeps it.
      if (this.byId.get(id) === this.dropped + this.head) this.byId.delete(id);
      this.head++;
    }
    // Compact once the dropped prefix is half the arrays; the map holds sequence numbers, which do not move.
    if (this.head > 4096 && this.head * 2 > this.ids.length) {
      const drop = this.head;
      this.ids = this.ids.slice(drop);
      this.times = this.times.slice(drop);
      this.partitions = this.partitions.slice(drop);
      this.offsets = this.offsets.slice(drop);
      this.head = 0;
      this.dropped += drop;
    }
  }
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

/**
 * Transaction id → (terminal, event time, earliest fraud report), for labels that arrive after their transaction.
 * The map holds slot numbers (small integers, no object per transaction); slot data lives in fixed-size segments,
 * evicted in insertion order (about event-time order), so memory follows the retention.
 */
class TransactionIndex {
  private readonly slots = new Map<string, number>();
  private readonly segments: Segment[] = [];
  /** Global slot number of segments[0][0]. */
  private base = 0;
  private next = 0;
  private evicted = 0;

  /** The index of everything the terminals hold, with the fraud reports already joined to them. */
  static fromTerminals(terminals: readonly TerminalLog[]): TransactionIndex {
    const entries: { id: string; log: TerminalLog; time: number; sequence: number }[] = [];
    for (const log of terminals) {
      log.forEachEntry((time, id, sequence) => entries.push({ id, log, time, sequence }));
    }
    // In recording order, as if the index had been kept all along: an id repeated (against the contract) keeps
    // its first recording, like SET NX online, and eviction goes in about event-time order.
    entries.sort((a, b) => a.sequence - b.sequence);
    const index = new TransactionIndex();
    for (const { id, log, time } of entries) {
      index.add(id, log, time);
    }
    for (const log of terminals) {
      for (const report of log.fraudReports()) {
        const slot = index.slotOf(report.transactionId);
        if (slot !== undefined) index.setReportedAt(slot, report.reportedAtMs);
      }
    }
    return index;
  }

  get size(): number {
    return this.slots.size;
  }

  /** Indexes the transaction unless its id is already indexed (first write wins); returns whether it was added. */
  add(id: string, terminal: TerminalLog, eventTimeMs: number): boolean {
    if (this.slots.has(id)) {
      return false;
    }
    const slot = this.next++;
    this.slots.set(id, slot);
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
    segment.reportedAt[at] = Number.NaN;
    return true;
  }

  slotOf(id: string): number | undefined {
    return this.slots.get(id);
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
      // The id's map entry is this slot: add() never re-points an indexed id.
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
}

/**
 * One customer's append-only history: interleaved records in a plain number array (V8 keeps it as packed doubles,
 * grown in place by push: cheaper than reallocating typed arrays for tens of thousands of small histories), with a
 * dropped prefix compacted once it is half the array.
 */
class CustomerLog {
  private data: number[] = [];
  private start = 0;
  private readonly facts = new HistoryFacts();
  newestMs = -Infinity;

  append(records: Float64Array, from: number, to: number): void {
    for (let i = from * CUSTOMER_RECORD_WIDTH; i < to * CUSTOMER_RECORD_WIDTH; i++) {
      this.data.push(records[i]!);
    }
    this.facts.append(records, from, to);
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
      this.facts.dropFront(this.start);
      this.start = 0;
    }
  }

  history(): CustomerHistory {
    return {
      records: this.data,
      start: this.start,
      end: this.data.length / CUSTOMER_RECORD_WIDTH,
      inOrder: this.facts.inOrderFrom(this.start),
      amountsBefore: this.facts.amountsBefore(),
    };
  }
}

/**
 * One terminal's transactions, sorted by event time like a sorted set's scores (ties in arrival order), each with
 * its id: (event time, id) identifies an entry, as the member "<time>:<id>" does online. Also its joined fraud
 * reports. Plain arrays (packed doubles for the times) for the same reason as CustomerLog.
 */
class TerminalLog {
  private times: number[] = [];
  private ids: string[] = [];
  /** When each entry was recorded (a state-wide counter): the lazy index keeps an id's first recording. */
  private sequences: number[] = [];
  private start = 0;
  /** Sorted by transaction event time, one per transaction. */
  private fraud: FraudReport[] = [];
  newestMs = -Infinity;

  /** Adds the entry unless present; returns whether it was added. `sequence` orders recordings across terminals. */
  insert(time: number, id: string, sequence: number): boolean {
    const times = this.times;
    const last = times.length - 1;
    // Events arrive mostly in time order: a time after the newest cannot be a replay, and appending is the
    // common case. Otherwise look among the entries with the same time, then insert after them.
    if (last < this.start || time > times[last]!) {
      times.push(time);
      this.ids.push(id);
      this.sequences.push(sequence);
      if (time > this.newestMs) this.newestMs = time;
      return true;
    }
    const after = this.upperBound(time);
    for (let at = after - 1; at >= this.start && times[at] === time; at--) {
      if (this.ids[at] === id) return false;
    }
    times.splice(after, 0, time);
    this.ids.splice(after, 0, id);
    this.sequences.splice(after, 0, sequence);
    return true;
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
      this.ids.splice(0, this.start);
      this.sequences.splice(0, this.start);
      this.start = 0;
    }
    if (this.fraud.length > 0 && this.fraud[0]!.eventTimeMs < cutoff) {
      this.fraud = this.fraud.filter((report) => report.eventTimeMs >= cutoff);
    }
  }

  forEachEntry(visit: (time: number, id: string, sequence: number) => void): void {
    for (let at = this.start; at < this.times.length; at++) {
      visit(this.times[at]!, this.ids[at]!, this.sequences[at]!);
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
    return firstAbove(this.times, this.start, this.times.length, value);
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
