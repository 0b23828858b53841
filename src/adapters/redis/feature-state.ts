import type { ChainableCommander, Redis } from 'ioredis';
import { DAY_MS } from '../../core/features/definitions.js';
import { FeatureStateBehindError } from '../../core/features/errors.js';
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
  type TerminalRanges,
} from '../../core/features/state-port.js';
import { READ_TERMINALS_LUA, RECORD_BATCH_LUA, RECORD_FRAUD_LUA } from './feature-state-scripts.js';

/**
 * The online feature state in Redis (layout and atomicity: feature-state-scripts.ts). Round trips per featurize():
 * recordBatch is one EVALSHA; readBatch is one pipeline of MGET (customer histories as raw bulk strings, the cheap
 * way to move them) and one EVALSHA (terminal counts and fraud reports). ioredis' defineCommand sends EVALSHA and
 * falls back to EVAL on NOSCRIPT, so a Redis restart or failover needs no special handling.
 */
export interface RedisFeatureStateOptions {
  /** Prefix of every key, e.g. `fs:<topology>:`; a hash tag (`{fs:<topology>}:`) on Redis Cluster. */
  readonly keyPrefix: string;
  /**
   * The engine's state horizon (core/features/engine.ts: featureStateHorizonMs): how far behind an entity's newest
   * event the engine may read. The TTL is derived from it (horizon + ttlRefreshMs + one day of slack between event
   * time and wall clock): 46 + 1 days for d = 7, 212 + 1 for d = 90.
   */
  readonly horizonMs: number;
  /** Wall-clock TTL of every key (refreshed while the entity is written). Overrides the derived TTL (load tests). */
  readonly ttlMs?: number;
  /** A worker refreshes the TTL of a key it writes at most this often (wall clock). Default one hour. */
  readonly ttlRefreshMs?: number;
  /**
   * A worker trims an entity at most once per this much progress of its trim cutoff (event time). Default 7 days:
   * trimming more often would touch customers with a transaction a day on nearly every write; histories then hold
   * up to this much more than the retention.
   */
  readonly trimEveryMs?: number;
  /** Wall clock for TTL refreshes; injected for tests. */
  readonly clock?: () => number;
}

/** Redis did not answer (connection, timeout, script error): the batch must be retried, the records are fine. */
export class FeatureStateUnavailableError extends Error {
  readonly code = 'FEATURE_STATE_UNAVAILABLE';
  readonly retriable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FeatureStateUnavailableError';
  }
}

/** Event time and wall clock drift apart (a consumer a few hours behind): a day of slack on top of the horizon. */
const TTL_SLACK_MS = DAY_MS;
const HOUR_MS = 3_600_000;
const NO_DUPLICATES: RecordResult = Object.freeze({ duplicates: Object.freeze([]) });
const DEFAULT_TRIM_EVERY_MS = 7 * DAY_MS;
/** Entities remembered for upkeep; past this the memory is dropped (everything is then simply maintained again). */
const UPKEEP_MEMORY = 200_000;
const RECORD_BYTES = CUSTOMER_RECORD_WIDTH * Float64Array.BYTES_PER_ELEMENT;
/** The stored histories are little-endian float64: read them with a typed array only where that is native. */
const NATIVE_LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

const COMMAND_RECORD = 'fraudscoreFeaturesRecordBatch';
const COMMAND_FRAUD = 'fraudscoreFeaturesRecordFraud';
const COMMAND_READ = 'fraudscoreFeaturesReadTerminals';

type Arg = string | Buffer;
interface FeatureCommands {
  [COMMAND_RECORD](...args: Arg[]): Promise<unknown>;
  [COMMAND_FRAUD](...args: Arg[]): Promise<unknown>;
  [COMMAND_READ](...args: Arg[]): ChainableCommander;
}

export function createRedisFeatureState(redis: Redis, options: RedisFeatureStateOptions): FeatureStatePort {
  if (!NATIVE_LITTLE_ENDIAN) {
    throw new Error('the Redis feature state stores little-endian float64 records; this host is big-endian');
  }
  const prefix = options.keyPrefix;
  const refreshMs = options.ttlRefreshMs ?? HOUR_MS;
  if (!(options.horizonMs > 0)) {
    throw new RangeError(`horizonMs must be positive (featureStateHorizonMs), got ${String(options.horizonMs)}`);
  }
  const ttlMs = options.ttlMs ?? options.horizonMs + refreshMs + TTL_SLACK_MS;
  const ttl = String(ttlMs);
  if (!(ttlMs > refreshMs) || !(refreshMs > 0) || !((options.trimEveryMs ?? DEFAULT_TRIM_EVERY_MS) >= 0)) {
    throw new RangeError('need ttlMs > ttlRefreshMs > 0 and trimEveryMs >= 0');
  }
  const customerUpkeep = new Upkeep(refreshMs, options.trimEveryMs ?? DEFAULT_TRIM_EVERY_MS, options.clock ?? Date.now);
  const terminalUpkeep = new Upkeep(refreshMs, options.trimEveryMs ?? DEFAULT_TRIM_EVERY_MS, options.clock ?? Date.now);
  for (const [name, lua] of [
    [COMMAND_RECORD, RECORD_BATCH_LUA],
    [COMMAND_FRAUD, RECORD_FRAUD_LUA],
    [COMMAND_READ, READ_TERMINALS_LUA],
  ] as const) {
    // Idempotent per client: several states (topologies) may share one connection.
    if (!(name in redis)) {
      redis.defineCommand(name, { numberOfKeys: 0, lua });
    }
  }
  const commands = redis as unknown as FeatureCommands;

  return {
    async recordBatch(write: StateWrite): Promise<RecordResult> {
      let progress = '';
      for (const entry of write.progress) {
        progress += `${entry.partition} ${entry.expected} ${entry.from} ${entry.to} `;
      }
      const args: Arg[] = [prefix, ttl, String(write.duplicateHorizonMs), progress, String(write.customers.length)];
      const maintained: string[] = [];
      write.customers.forEach((append, c) => {
        const { records } = append;
        args.push(
          append.customerId,
          Buffer.from(
            records.buffer,
            records.byteOffset + append.from * RECORD_BYTES,
            (append.to - append.from) * RECORD_BYTES,
          ),
        );
        if (customerUpkeep.due(append.customerId, append.trimBeforeMs)) {
          maintained.push(String(c + 1), String(append.trimBeforeMs));
        }
      });
      args.push(String(maintained.length / 2), ...maintained);
      args.push(String(write.terminals.length));
      for (const terminal of write.terminals) {
        // Trimmed on every write (the script); the TTL refresh is what upkeep spaces out.
        const refresh = terminalUpkeep.due(terminal.terminalId, terminal.trimBeforeMs) ? '1' : '0';
        args.push(terminal.terminalId, `${refresh} ${terminal.trimBeforeMs}`, terminal.records.join(' '));
      }
      const { records, transactionIds, logOrder } = write;
      let packed = '';
      const ids: string[] = new Array<string>(logOrder.length);
      for (let j = 0; j < logOrder.length; j++) {
        const k = logOrder[j]!;
        const at = k * CUSTOMER_RECORD_WIDTH;
        packed +=
          `${records[at + CUSTOMER_FIELD_EVENT_TIME]!} ${records[at + CUSTOMER_FIELD_PARTITION]!} ` +
          `${records[at + CUSTOMER_FIELD_OFFSET]!} ${k} `;
        ids[j] = transactionIds[k]!;
      }
      args.push(String(ids.length), packed, ...ids);
      const reply = (await unavailableOnError('record a feature batch', () => commands[COMMAND_RECORD](...args))) as (
        string | number
      )[];
      if (reply[0] === 'behind') {
        const marker = String(reply[2]);
        throw new FeatureStateBehindError(Number(reply[1]), marker === '' ? null : Number(marker), Number(reply[3]));
      }
      if (reply.length === 1) return NO_DUPLICATES;
      const duplicates: DuplicateRecord[] = [];
      for (let i = 1; i < reply.length; i += 2) {
        const [partition, offset] = String(reply[i + 1]).split(':');
        duplicates.push({ record: Number(reply[i]), first: { partition: Number(partition), offset: Number(offset) } });
      }
      return { duplicates: duplicates.sort((a, b) => a.record - b.record) };
    },

    async readBatch(read: StateRead): Promise<StateSnapshot> {
      const pipeline = redis.pipeline();
      if (read.customerIds.length > 0) {
        pipeline.mgetBuffer(...read.customerIds.map((id) => `${prefix}c:${id}`));
      }
      const args: Arg[] = [prefix];
      pushRanges(args, read.terminalCounts);
      // One range per terminal here (the engine asks exactly that).
      pushRanges(args, read.terminalFraud);
      (pipeline as unknown as FeatureCommands)[COMMAND_READ](...args);
      const replies = await unavailableOnError('read feature state', () => pipeline.exec());
      if (replies === null) {
        throw new FeatureStateUnavailableError('read feature state: the pipeline was discarded');
      }
      for (const [error] of replies) {
        if (error) {
          throw new FeatureStateUnavailableError(`read feature state: ${error.message}`, { cause: error });
        }
      }
      const histories = read.customerIds.length > 0 ? decodeHistories(replies[0]![1] as (Buffer | null)[]) : [];
      const [counts, fraud] = replies[replies.length - 1]![1] as [number[], string[][]];
      return {
        customers: histories,
        terminalCounts: Float64Array.from(counts),
        terminalFraud: fraud.map(decodeFraud),
      };
    },

    async recordFraudReports(reports: readonly FraudReportWrite[]): Promise<void> {
      if (reports.length === 0) {
        return;
      }
      const args: Arg[] = [prefix, ttl];
      for (const report of reports) {
        args.push(report.transactionId, String(report.reportedAtMs));
      }
      await unavailableOnError('record fraud reports', () => commands[COMMAND_FRAUD](...args));
    },
  };
}

/** Per terminal: its id, then its ranges packed as "<from> <to> ..." (one argument instead of two per range). */
function pushRanges(args: Arg[], ranges: TerminalRanges): void {
  const { terminalIds, rangeStart, fromExclusiveMs, toInclusiveMs } = ranges;
  args.push(String(terminalIds.length));
  for (let g = 0; g < terminalIds.length; g++) {
    let packed = '';
    for (let q = rangeStart[g]!; q < rangeStart[g + 1]!; q++) {
      packed += `${fromExclusiveMs[q]!} ${toInclusiveMs[q]!} `;
    }
    args.push(terminalIds[g]!, packed);
  }
}

/** Copies all histories of the batch into one aligned float64 array (a Buffer from the socket may be unaligned). */
function decodeHistories(values: readonly (Buffer | null)[]): CustomerHistory[] {
  let bytes = 0;
  for (const value of values) {
    if (value !== null) {
      if (value.length % RECORD_BYTES !== 0) {
        throw new Error(`corrupt customer history: ${value.length} bytes is not a multiple of ${RECORD_BYTES}`);
      }
      bytes += value.length;
    }
  }
  const records = new Float64Array(bytes / Float64Array.BYTES_PER_ELEMENT);
  const raw = new Uint8Array(records.buffer);
  const histories: CustomerHistory[] = new Array<CustomerHistory>(values.length);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const start = at / RECORD_BYTES;
    if (value) {
      raw.set(value, at);
      at += value.length;
    }
    histories[i] = { records, start, end: at / RECORD_BYTES };
  }
  return histories;
}

/** [member "<reportedAt>:<tx>", score "<eventTime>", ...] → reports. */
function decodeFraud(flat: readonly string[]): FraudReport[] {
  const reports: FraudReport[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const member = flat[i]!;
    const colon = member.indexOf(':');
    reports.push({
      transactionId: member.slice(colon + 1),
      reportedAtMs: Number(member.slice(0, colon)),
      eventTimeMs: Number(flat[i + 1]),
    });
  }
  return reports;
}

async function unavailableOnError<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof FeatureStateUnavailableError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new FeatureStateUnavailableError(`${what}: ${message}`, { cause: error });
  }
}

/**
 * When this worker last refreshed the TTL of an entity's keys (wall clock) and trimmed them (at which cutoff).
 * Upkeep on every write would double the Redis calls of a batch; trimming only bounds memory (reads never look
 * below the cutoff) and a TTL refreshed hourly is as good as one refreshed every batch. Other workers keep their
 * own schedule; upkeep is idempotent. A worker that forgets (restart, or more entities than it remembers) simply
 * maintains again.
 */
class Upkeep {
  private readonly last = new Map<string, { wallMs: number; cutoffMs: number }>();

  constructor(
    private readonly refreshMs: number,
    private readonly trimEveryMs: number,
    private readonly clock: () => number,
  ) {}

  due(id: string, cutoffMs: number): boolean {
    const now = this.clock();
    const last = this.last.get(id);
    if (last !== undefined && now - last.wallMs < this.refreshMs && cutoffMs - last.cutoffMs < this.trimEveryMs) {
      return false;
    }
    if (last === undefined && this.last.size >= UPKEEP_MEMORY) {
      this.last.clear();
    }
    this.last.set(id, { wallMs: now, cutoffMs });
    return true;
  }
}
