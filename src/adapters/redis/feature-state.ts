import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { labelDelayMsOf, type Topology } from '../../config/index.js';
import { DAY_MS } from '../../core/features/definitions.js';
import { featureStateHorizonMs } from '../../core/features/engine.js';
import { FeatureStateBehindError } from '../../core/features/errors.js';
import { sameIds } from '../../core/features/ordered-search.js';
import {
  CUSTOMER_FIELD_EVENT_TIME,
  CUSTOMER_FIELD_OFFSET,
  CUSTOMER_FIELD_PARTITION,
  CUSTOMER_RECORD_WIDTH,
  type CustomerAppend,
  type CustomerHistory,
  type DuplicateRecord,
  type FeatureStatePort,
  type FraudReport,
  type FraudReportWrite,
  type RecordResult,
  type StateRead,
  type StateSnapshot,
  type StateWrite,
} from '../../core/features/state-port.js';
import {
  CustomerReplica,
  evictLeastRecentlyUsed,
  GENERATION_BYTES,
  LOG_MAGIC,
  ReplicaSet,
  TerminalReplica,
  UseClock,
} from './feature-replica.js';
import { READ_STATE_LUA, RECORD_BATCH_LUA, RECORD_FRAUD_LUA } from './feature-state-scripts.js';

/**
 * The online feature state in Redis (layout and atomicity: feature-state-scripts.ts), with the worker's replica of
 * it (feature-replica.ts). One round trip per featurize(): recordBatch is one EVALSHA that writes the batch and
 * answers, for each customer and terminal of the batch, what the replica lacks (the bytes appended to the entity's
 * log since the replica's length, or the whole log when its generation changed) and the terminals' fraud reports.
 * readBatch then answers from the replica: customer histories as they are, terminal window counts by scanning the
 * terminal's live event times. The replica is "Redis as of the last round trip" whatever other workers, replays,
 * trims or a state loss did, so a restarted or rebalanced worker computes the same values (it fetches whole logs).
 * ioredis' defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT, so a Redis restart or failover needs no
 * special handling.
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
  /**
   * Memory the replica may hold (customer histories and terminal times together); least recently used entities of
   * either kind are dropped past it and fetched whole when next seen. Default 64 MiB: 5,000 customers and 10,000
   * terminals with 30 days of history at 20,000 events a day take about 48 MiB (the enrichment benchmark), four
   * fifths of it customer histories.
   */
  readonly replicaBudgetBytes?: number;
  /** Told the bytes the replica holds before each batch (metrics, load tests). */
  readonly onReplicaBytes?: (bytes: number) => void;
  /**
   * Told how many entity logs each round trip answered whole rather than by what was appended: a replica missing or
   * dropped from the budget, or a log rewritten (a trim, a compaction, another writer's rewrite, a lost key). A count
   * near the batch's entities, batch after batch, means the budget is too small for the state (metrics).
   */
  readonly onWholeLogs?: (count: number) => void;
}

/** What a topology sets of its feature state: the key prefix, the horizon its label delay needs, the replica budget. */
export function topologyFeatureStateOptions(topology: Topology): RedisFeatureStateOptions {
  return {
    keyPrefix: topology.redis.keyPrefix,
    horizonMs: featureStateHorizonMs(labelDelayMsOf(topology)),
    replicaBudgetBytes: topology.redis.replicaBudgetMiB * 2 ** 20,
  };
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
const RECORD_BYTES = CUSTOMER_RECORD_WIDTH * Float64Array.BYTES_PER_ELEMENT;
/** The stored histories are little-endian float64: read them with a typed array only where that is native. */
const NATIVE_LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

const DEFAULT_REPLICA_BUDGET_BYTES = 64 * 1024 * 1024;
/** The script's reset flags are "0"/"1" characters. */
const ASCII_ONE = 0x31;

const COMMAND_RECORD = 'fraudscoreFeaturesRecordBatchReplicated';
const COMMAND_FRAUD = 'fraudscoreFeaturesRecordFraud';
const COMMAND_READ = 'fraudscoreFeaturesReadState';
/** ioredis defines a `<name>Buffer` variant of each script command, answering bulk strings as Buffers. */
const COMMAND_RECORD_BUFFER = `${COMMAND_RECORD}Buffer` as const;
const COMMAND_READ_BUFFER = `${COMMAND_READ}Buffer` as const;

type Arg = string | Buffer;
interface FeatureCommands {
  [COMMAND_RECORD_BUFFER](...args: Arg[]): Promise<unknown>;
  [COMMAND_FRAUD](...args: Arg[]): Promise<unknown>;
  [COMMAND_READ_BUFFER](...args: Arg[]): Promise<unknown>;
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
  const replicaBudget = options.replicaBudgetBytes ?? DEFAULT_REPLICA_BUDGET_BYTES;
  if (!(replicaBudget >= 0)) {
    throw new RangeError(`replicaBudgetBytes must be >= 0, got ${String(options.replicaBudgetBytes)}`);
  }
  const upkeep = new Upkeep(refreshMs, options.trimEveryMs ?? DEFAULT_TRIM_EVERY_MS, options.clock ?? Date.now);
  for (const [name, lua] of [
    [COMMAND_RECORD, RECORD_BATCH_LUA],
    [COMMAND_FRAUD, RECORD_FRAUD_LUA],
    [COMMAND_READ, READ_STATE_LUA],
  ] as const) {
    // Idempotent per client: several states (topologies) may share one connection.
    if (!(name in redis)) {
      redis.defineCommand(name, { numberOfKeys: 0, lua });
    }
  }
  const commands = redis as unknown as FeatureCommands;
  const useClock = new UseClock();
  const customerReplicas = new ReplicaSet(() => new CustomerReplica(), useClock);
  const terminalReplicas = new ReplicaSet(() => new TerminalReplica(), useClock);
  /**
   * The rewrite token this writer saw after its last batch, and its trust epoch: the epoch advances whenever the
   * token shows that another writer rewrote a log, so replicas checked before it are no longer trusted.
   */
  let rewriteToken: Buffer = Buffer.alloc(0);
  let trustEpoch = 0;
  /** What the last recordBatch answered: the entities a readBatch can serve without a round trip. */
  let answered = { customers: new Set<string>(), terminals: new Map<string, readonly FraudReport[]>() };
  /**
   * The last recordBatch's entities in the order it named them, with their replicas and fraud reports: a readBatch
   * that names the same entities in the same order (the engine's does) is answered from these without a lookup.
   */
  let recorded: RecordedEntities = { customerIds: [], customers: [], terminalIds: [], terminals: [], fraud: [] };

  /** Whole logs for entities the last record did not answer (a read the port contract does not expect). */
  async function fetchWhole(customerIds: readonly string[], terminalIds: readonly string[]): Promise<void> {
    const reply = (await unavailableOnError('read feature state', () =>
      commands[COMMAND_READ_BUFFER](
        prefix,
        String(customerIds.length),
        ...customerIds,
        String(terminalIds.length),
        ...terminalIds,
      ),
    )) as [Buffer[], Buffer[], Buffer[][]];
    options.onWholeLogs?.(customerIds.length + terminalIds.length);
    // Read outside the record script, without the rewrite token: checked again by the next record.
    customerIds.forEach((id, c) => untrusted(customerReplicas.get(id)).apply(reply[0][c]!, true));
    terminalIds.forEach((id, g) => untrusted(terminalReplicas.get(id)).apply(reply[1][g]!, true));
    terminalIds.forEach((id, g) => answered.terminals.set(id, decodeFraud(reply[2][g]!)));
    for (const id of customerIds) answered.customers.add(id);
  }

  return {
    async recordBatch(write: StateWrite): Promise<RecordResult> {
      // Between batches only: a request names replica lengths that its answer extends.
      const held = evictLeastRecentlyUsed([customerReplicas, terminalReplicas], replicaBudget);
      options.onReplicaBytes?.(held);
      let progress = '';
      for (const entry of write.progress) {
        progress += `${entry.partition} ${entry.expected} ${entry.from} ${entry.to} `;
      }
      const customers = write.customers.map((append) => customerReplicas.get(append.customerId));
      const terminals = write.terminals.map((append) => terminalReplicas.get(append.terminalId));
      const args: Arg[] = [
        prefix,
        ttl,
        String(write.duplicateHorizonMs),
        progress,
        LOG_MAGIC,
        randomBytes(8),
        rewriteToken,
        trustFlags(customers, trustEpoch),
        trustFlags(terminals, trustEpoch),
        String(write.customers.length),
      ];
      let recordCounts = '';
      const maintained: string[] = [];
      write.customers.forEach((append, c) => {
        recordCounts += `${append.to - append.from} `;
        if (upkeep.due(customers[c]!, append.trimBeforeMs)) {
          maintained.push(String(c + 1), String(append.trimBeforeMs));
        }
      });
      args.push(recordCounts, customerRecords(write.customers));
      for (const append of write.customers) args.push(append.customerId);
      args.push(...knownLogs(customers));
      args.push(String(maintained.length / 2), ...maintained);
      let terminalFlags = '';
      let terminalLists = '';
      write.terminals.forEach((terminal, g) => {
        // Trimmed on every write (the script); the TTL refresh is what upkeep spaces out.
        const replica = terminals[g]!;
        const refresh = upkeep.due(replica, terminal.trimBeforeMs) ? '1' : '0';
        const known = replica.header === null ? -1 : replica.length;
        const compact = replica.header !== null && replica.wasteful() ? '1' : '0';
        terminalFlags += `${refresh} ${terminal.trimBeforeMs} ${known} ${compact} `;
        terminalLists += `${terminal.records.length} `;
        for (const record of terminal.records) terminalLists += `${record} `;
      });
      args.push(String(write.terminals.length), terminalFlags, terminalLists);
      for (const terminal of write.terminals) args.push(terminal.terminalId);
      args.push(knownLogs(terminals)[1], terminalBlocks(write));
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
      const reply = (await unavailableOnError('record a feature batch', () =>
        commands[COMMAND_RECORD_BUFFER](...args),
      )) as unknown[];
      if (String(reply[0]) === 'behind') {
        const marker = String(reply[2]);
        throw new FeatureStateBehindError(Number(reply[1]), marker === '' ? null : Number(marker), Number(reply[3]));
      }
      const [result, customerResets, customerBytes, terminalResets, terminalBytes, fraud, tokenUnchanged, token] =
        reply as [(Buffer | number)[], Buffer, Buffer[], Buffer, Buffer[], Buffer[][], number, Buffer];
      // Another writer rewrote a log since this one's last batch: whatever was checked before is trusted no more.
      // Every replica of this batch was checked (or answered whole) by this script.
      if (tokenUnchanged !== 1) trustEpoch++;
      rewriteToken = token;
      if (options.onWholeLogs) options.onWholeLogs(countOnes(customerResets) + countOnes(terminalResets));
      answered = { customers: new Set(), terminals: new Map() };
      recorded = {
        customerIds: write.customers.map((append) => append.customerId),
        customers,
        terminalIds: write.terminals.map((append) => append.terminalId),
        terminals,
        fraud: [],
      };
      write.customers.forEach((append, c) => {
        customers[c]!.apply(customerBytes[c]!, customerResets[c] === ASCII_ONE);
        customers[c]!.checkedEpoch = trustEpoch;
        answered.customers.add(append.customerId);
      });
      write.terminals.forEach((append, g) => {
        terminals[g]!.apply(terminalBytes[g]!, terminalResets[g] === ASCII_ONE);
        terminals[g]!.checkedEpoch = trustEpoch;
        const reports = decodeFraud(fraud[g]!);
        recorded.fraud.push(reports);
        answered.terminals.set(append.terminalId, reports);
      });
      if (result.length === 1) return NO_DUPLICATES;
      const duplicates: DuplicateRecord[] = [];
      for (let i = 1; i < result.length; i += 2) {
        const [partition, offset] = String(result[i + 1]).split(':');
        duplicates.push({ record: Number(result[i]), first: { partition: Number(partition), offset: Number(offset) } });
      }
      return { duplicates: duplicates.sort((a, b) => a.record - b.record) };
    },

    async readBatch(read: StateRead): Promise<StateSnapshot> {
      const { terminalIds } = read.terminalCounts;
      if (
        sameIds(read.customerIds, recorded.customerIds) &&
        sameIds(terminalIds, recorded.terminalIds) &&
        sameIds(read.terminalFraud.terminalIds, recorded.terminalIds)
      ) {
        return snapshotOf(read, recorded.customers, recorded.terminals, recorded.fraud);
      }
      const missingCustomers = read.customerIds.filter((id) => !answered.customers.has(id));
      const missingTerminals = [...new Set([...terminalIds, ...read.terminalFraud.terminalIds])].filter(
        (id) => !answered.terminals.has(id),
      );
      if (missingCustomers.length > 0 || missingTerminals.length > 0) {
        await fetchWhole(missingCustomers, missingTerminals);
      }
      return snapshotOf(
        read,
        read.customerIds.map((id) => customerReplicas.peek(id)!),
        terminalIds.map((id) => terminalReplicas.peek(id)!),
        read.terminalFraud.terminalIds.map((id) => answered.terminals.get(id)!),
      );
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

/** The customers' records, customer after customer, as one byte string (a view when they lie so in one array). */
function customerRecords(customers: readonly CustomerAppend[]): Buffer {
  const first = customers[0];
  if (first === undefined) return Buffer.alloc(0);
  let end = first.from;
  for (const append of customers) {
    if (append.records !== first.records || append.from !== end) {
      return Buffer.concat(customers.map((each) => recordBytes(each.records, each.from, each.to)));
    }
    end = append.to;
  }
  return recordBytes(first.records, first.from, end);
}

function recordBytes(records: Float64Array, from: number, to: number): Buffer {
  return Buffer.from(records.buffer, records.byteOffset + from * RECORD_BYTES, (to - from) * RECORD_BYTES);
}

/**
 * Each terminal's log block as the record script appends it when every record is new to the terminal:
 * [n, the records' event times in the order listed, trimBeforeMs], little-endian float64, terminal after terminal.
 */
function terminalBlocks(write: StateWrite): Buffer {
  let floats = 0;
  for (const terminal of write.terminals) floats += terminal.records.length + 2;
  const blocks = new Float64Array(floats);
  let at = 0;
  for (const terminal of write.terminals) {
    blocks[at++] = terminal.records.length;
    for (const record of terminal.records) {
      blocks[at++] = write.records[record * CUSTOMER_RECORD_WIDTH + CUSTOMER_FIELD_EVENT_TIME]!;
    }
    blocks[at++] = terminal.trimBeforeMs;
  }
  return Buffer.from(blocks.buffer, blocks.byteOffset, blocks.byteLength);
}

interface RecordedEntities {
  readonly customerIds: readonly string[];
  readonly customers: readonly CustomerReplica[];
  readonly terminalIds: readonly string[];
  readonly terminals: readonly TerminalReplica[];
  readonly fraud: (readonly FraudReport[])[];
}

/** The answer to a read from the replicas of its customers and of its count terminals, in the read's order. */
function snapshotOf(
  read: StateRead,
  customers: readonly CustomerReplica[],
  terminals: readonly TerminalReplica[],
  terminalFraud: readonly (readonly FraudReport[])[],
): StateSnapshot {
  const { rangeStart, fromExclusiveMs, toInclusiveMs } = read.terminalCounts;
  const counts = new Float64Array(fromExclusiveMs.length);
  for (let g = 0; g < terminals.length; g++) {
    const replica = terminals[g]!;
    for (let q = rangeStart[g]!; q < rangeStart[g + 1]!; q++) {
      counts[q] = replica.countIn(fromExclusiveMs[q]!, toInclusiveMs[q]!);
    }
  }
  return {
    customers: customers.map((replica): CustomerHistory => ({
      records: replica.records,
      start: 0,
      end: replica.count,
      inOrder: replica.facts.inOrderFrom(0),
      amountsBefore: replica.facts.amountsBefore(),
    })),
    terminalCounts: counts,
    terminalFraud,
  };
}

function countOnes(flags: Buffer): number {
  let ones = 0;
  for (const flag of flags) if (flag === ASCII_ONE) ones++;
  return ones;
}

/** "0101...": 1 where the replica's header was checked in the writer's current trust epoch. */
function trustFlags(replicas: readonly (CustomerReplica | TerminalReplica)[], epoch: number): string {
  let flags = '';
  for (const replica of replicas) flags += replica.checkedEpoch === epoch ? '1' : '0';
  return flags;
}

function untrusted<R extends CustomerReplica | TerminalReplica>(replica: R): R {
  replica.checkedEpoch = -1;
  return replica;
}

/** The script's "<known length> ..." and concatenated known headers (zeros where there is no replica). */
function knownLogs(replicas: readonly (CustomerReplica | TerminalReplica)[]): [string, Buffer] {
  let lengths = '';
  const headers = Buffer.alloc(replicas.length * GENERATION_BYTES);
  replicas.forEach((replica, n) => {
    if (replica.header === null) {
      lengths += '-1 ';
    } else {
      lengths += `${replica.length} `;
      replica.header.copy(headers, n * GENERATION_BYTES);
    }
  });
  return [lengths, headers];
}

/** [member "<reportedAt>:<tx>", score "<eventTime>", ...] → reports. */
function decodeFraud(flat: readonly (Buffer | string)[]): FraudReport[] {
  const reports: FraudReport[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const member = String(flat[i]!);
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
 * Whether an entity's keys are due for upkeep: a TTL refresh (wall clock) and a trim (cutoff progress). Upkeep on
 * every write would double the Redis calls of a batch; trimming only bounds memory (reads never look below the
 * cutoff) and a TTL refreshed hourly is as good as one refreshed every batch. What was done last lives on the
 * entity's replica; other workers keep their own schedule, and upkeep is idempotent, so a worker that forgets
 * (restart, or a replica dropped from the budget) simply maintains again.
 */
class Upkeep {
  constructor(
    private readonly refreshMs: number,
    private readonly trimEveryMs: number,
    private readonly clock: () => number,
  ) {}

  due(entity: { upkeepWallMs: number; upkeepCutoffMs: number }, cutoffMs: number): boolean {
    const now = this.clock();
    if (now - entity.upkeepWallMs < this.refreshMs && cutoffMs - entity.upkeepCutoffMs < this.trimEveryMs) {
      return false;
    }
    entity.upkeepWallMs = now;
    entity.upkeepCutoffMs = cutoffMs;
    return true;
  }
}
