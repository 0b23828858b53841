/**
 * Latency of one featurize() call against real Redis: 1000-row batches, all 15 features, realistic state.
 *
 *   npx tsc -p . && node dist/load-tests/feature-enrichment.js [--customers 5000] [--terminals 10000]
 *     [--days 30] [--per-day 20000] [--batches 200] [--batch-size 1000]
 *
 * The online path as a worker runs it: one engine with its Redis state (and so its replica, warmed by the prefill
 * as a long-running worker's is), each batch one round trip. Also prints the replica's size and the process's RSS.
 * Prefills ~30 days of history through the engine itself (same keys, same scripts; ~1% fraud labels arriving
 * 1 hour to 20 days after their transaction), then times featurize() on batches that continue the stream, with
 * labels arriving alongside. Prints p50/p99/max per batch. Target: p99 <= 20 ms. Redis: FRAUDSCORE_REDIS_URL or
 * redis://127.0.0.1:16379; keys live under a unique prefix and are deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createRedisFeatureState } from '../src/adapters/redis/feature-state.js';
import type { LabelEvent, PositionedTransaction } from '../src/core/contract/events.js';
import { DAY_MS } from '../src/core/features/definitions.js';
import { createFeatureEngine } from '../src/core/features/engine.js';
import type { FeatureStatePort } from '../src/core/features/state-port.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '5000' },
    terminals: { type: 'string', default: '10000' },
    days: { type: 'string', default: '30' },
    'per-day': { type: 'string', default: '20000' },
    batches: { type: 'string', default: '200' },
    'batch-size': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '11' },
  },
});
const CUSTOMERS = Number(values.customers);
const TERMINALS = Number(values.terminals);
const DAYS = Number(values.days);
const PER_DAY = Number(values['per-day']);
const BATCHES = Number(values.batches);
const BATCH_SIZE = Number(values['batch-size']);
const TARGET_P99_MS = 20;
const REDIS_URL = process.env['FRAUDSCORE_REDIS_URL'] ?? 'redis://127.0.0.1:16379';

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(Number(values.seed));
const start = Date.UTC(2024, 0, 1);
const gap = DAY_MS / PER_DAY;
let produced = 0;
/** Labels not yet delivered, by delivery time. */
const pendingLabels: { at: number; label: LabelEvent }[] = [];

function nextBatch(size: number): PositionedTransaction[] {
  const batch: PositionedTransaction[] = [];
  for (let i = 0; i < size; i++) {
    const n = produced++;
    const eventTimeMs = Math.floor(start + n * gap);
    const customer = Math.floor(random() * CUSTOMERS);
    const terminal =
      random() < 0.8 ? (customer * 7 + Math.floor(random() * 3)) % TERMINALS : Math.floor(random() * TERMINALS);
    const transactionId = `tx-${n}`;
    batch.push({
      transactionId,
      eventTimeMs,
      customerId: `c-${customer}`,
      terminalId: `t-${terminal}`,
      amountMinor: 100 + Math.floor(random() * 20_000),
      currency: 'EUR',
      position: { partition: customer % 12, offset: n },
    });
    if (random() < 0.01) {
      const reportedAtMs = eventTimeMs + 3_600_000 + Math.floor(random() * 20 * DAY_MS);
      pendingLabels.push({ at: reportedAtMs, label: { transactionId, isFraud: true, reportedAtMs } });
    }
  }
  return batch;
}

function dueLabels(now: number): LabelEvent[] {
  pendingLabels.sort((a, b) => a.at - b.at);
  let due = 0;
  while (due < pendingLabels.length && pendingLabels[due]!.at <= now) due++;
  return pendingLabels.splice(0, due).map((d) => d.label);
}

async function redisCpuSeconds(): Promise<number> {
  const info = await redis.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const system = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return user + system;
}

/** Per command: calls and microseconds so far (INFO commandstats; the calls scripts make are counted too). */
async function commandStats(): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const match of (await redis.info('commandstats')).matchAll(/cmdstat_(\S+?):calls=(\d+),usec=(\d+)/g)) {
    stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

/** What the measured batches cost Redis per batch, by command, largest first. */
function commandsPerBatch(
  before: Map<string, { calls: number; usec: number }>,
  after: Map<string, { calls: number; usec: number }>,
  batches: number,
): Record<string, { calls: number; ms: number }> {
  const rows: [string, { calls: number; ms: number }][] = [];
  for (const [name, now] of after) {
    const was = before.get(name) ?? { calls: 0, usec: 0 };
    const calls = (now.calls - was.calls) / batches;
    if (calls < 0.5) continue;
    rows.push([name, { calls: Math.round(calls), ms: +((now.usec - was.usec) / 1000 / batches).toFixed(2) }]);
  }
  return Object.fromEntries(rows.sort((a, b) => b[1].ms - a[1].ms));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
const keyPrefix = `fs-bench:${randomUUID().slice(0, 8)}:`;
/** What the replica held before the last batch (the state reports it). */
let replicaBytes = 0;
const redisState = createRedisFeatureState(redis, {
  keyPrefix,
  horizonMs: 2 * 60 * 60 * 1000,
  ttlMs: 2 * 60 * 60 * 1000,
  onReplicaBytes: (bytes) => {
    replicaBytes = bytes;
  },
});
/** Time inside each port call, to split featurize() into its two round trips and the engine's own work. */
const portMs = { record: [] as number[], read: [] as number[] };
const timedState: FeatureStatePort = {
  async recordBatch(write) {
    const t0 = performance.now();
    const result = await redisState.recordBatch(write);
    portMs.record.push(performance.now() - t0);
    return result;
  },
  async readBatch(read) {
    const t0 = performance.now();
    const snapshot = await redisState.readBatch(read);
    portMs.read.push(performance.now() - t0);
    return snapshot;
  },
  recordFraudReports: (reports) => redisState.recordFraudReports(reports),
};
const engine = createFeatureEngine({ state: timedState, labelDelayMs: 7 * DAY_MS });
try {
  const prefillEvents = DAYS * PER_DAY;
  const prefillStarted = performance.now();
  while (produced < prefillEvents) {
    const batch = nextBatch(Math.min(BATCH_SIZE, prefillEvents - produced));
    await engine.ingestLabels(dueLabels(batch[0]!.eventTimeMs));
    await engine.featurize(batch);
  }
  const info = await redis.info('memory');
  const usedMemory = /used_memory_human:(\S+)/.exec(info)?.[1] ?? '?';
  console.log(
    `prefilled ${prefillEvents} events over ${DAYS} days (${CUSTOMERS} customers, ${TERMINALS} terminals) in ` +
      `${((performance.now() - prefillStarted) / 1000).toFixed(1)} s; Redis used_memory ${usedMemory}`,
  );

  portMs.record.length = 0;
  portMs.read.length = 0;
  // CPU spent per batch by this process and by Redis: on a shared machine wall time also measures the neighbours,
  // while client CPU + Redis CPU (the path is sequential) approximates the latency on an idle one.
  const commandsBefore = await commandStats();
  const redisCpuBefore = await redisCpuSeconds();
  const clientCpuBefore = process.cpuUsage();
  const latencies: number[] = [];
  let checksum = 0;
  for (let b = 0; b < BATCHES; b++) {
    const batch = nextBatch(BATCH_SIZE);
    await engine.ingestLabels(dueLabels(batch[0]!.eventTimeMs));
    const t0 = performance.now();
    const rows = await engine.featurize(batch);
    latencies.push(performance.now() - t0);
    checksum += rows[0]!.values[13]!;
  }
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const clientCpuMsPerBatch = (clientCpu.user + clientCpu.system) / 1000 / BATCHES;
  const redisCpuMsPerBatch = (((await redisCpuSeconds()) - redisCpuBefore) * 1000) / BATCHES;
  const redisCommands = commandsPerBatch(commandsBefore, await commandStats(), BATCHES);
  const median = (list: number[]) =>
    percentile(
      [...list].sort((a, b) => a - b),
      50,
    );
  const recordP50 = median(portMs.record);
  const readP50 = median(portMs.read);
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const [load1] = loadavg();
  console.log(
    JSON.stringify(
      {
        batches: BATCHES,
        batchSize: BATCH_SIZE,
        featurizeMs: { p50: +p50.toFixed(2), p99: +p99.toFixed(2), max: +latencies.at(-1)!.toFixed(2) },
        p50SplitMs: {
          recordBatch: +recordP50.toFixed(2),
          readBatch: +readP50.toFixed(2),
          engine: +(p50 - recordP50 - readP50).toFixed(2),
        },
        cpuMsPerBatch: {
          client: +clientCpuMsPerBatch.toFixed(2),
          redis: +redisCpuMsPerBatch.toFixed(2),
          total: +(clientCpuMsPerBatch + redisCpuMsPerBatch).toFixed(2),
        },
        rowsPerSecond: Math.round((BATCH_SIZE * 1000) / p50),
        redisRoundTripsPerBatch: 1,
        // Inside the scripts (evalsha: the whole script, its calls included).
        redisCommandsPerBatch: redisCommands,
        replicaMiB: +(replicaBytes / 2 ** 20).toFixed(1),
        rssMiB: +(process.memoryUsage.rss() / 2 ** 20).toFixed(1),
        targetP99Ms: TARGET_P99_MS,
        meetsTarget: p99 <= TARGET_P99_MS,
        loadAverage1m: +load1!.toFixed(2),
        checksum,
      },
      null,
      2,
    ),
  );
} finally {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.quit();
}
