/**
 * Backfill throughput, end to end (JSON Lines files in → training table and manifest out).
 *
 *   npx tsc -p . && node dist/load-tests/backfill.js [--table-format parquet|csv] [--input-dir DIR] [--keep]
 *   node dist/load-tests/backfill.js --source synthetic [--events 1000000] [--days 90] [--seed 7]
 *
 * Default input: the handbook-sized dataset from the traffic simulator (5,000 customers, 10,000 terminals, 183 days,
 * seed 42: ~1.78M transactions and as many labels, the simulator's default of one label per transaction), the
 * dataset the issue's numpy and pandas figures were measured on. `--input-dir DIR` reuses (or first writes) it in DIR:
 * generation takes a minute and is never counted. `--source synthetic` is the older uniform generator (50k
 * customers, ~1% fraud labels only). Prints events/s, wall time, peak RSS and the verdicts against the targets:
 * <= 8 s wall and <= 1 GiB peak RSS for the handbook dataset on the 2-core reference machine.
 */
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TABLE_FORMAT, isTableFormat, runBackfill } from '../src/backfill/index.js';
import { DAY_MS } from '../src/core/features/definitions.js';
import { OutputFormat, simulateToFiles } from '../src/simulate/index.js';

const { values } = parseArgs({
  options: {
    source: { type: 'string', default: 'simulator' },
    'input-dir': { type: 'string' },
    'table-format': { type: 'string', default: DEFAULT_TABLE_FORMAT },
    events: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '90' },
    seed: { type: 'string', default: '7' },
    customers: { type: 'string', default: '50000' },
    terminals: { type: 'string', default: '10000' },
    'batch-size': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const DAYS = Number(values.days);
const CUSTOMERS = Number(values.customers);
const TERMINALS = Number(values.terminals);
const START = Date.UTC(2024, 0, 1);
const TARGET_WALL_SECONDS = 8;
const TARGET_PEAK_RSS_MIB = 1024;
/** The handbook's dataset: the simulator's population and length behind the issue's numpy/pandas comparison. */
const HANDBOOK = { seed: 42, customers: 5_000, terminals: 10_000, days: 183 } as const;
const tableFormat = values['table-format'];
if (!isTableFormat(tableFormat)) throw new Error(`--table-format: parquet or csv, got ${tableFormat}`);
if (values.source !== 'simulator' && values.source !== 'synthetic') {
  throw new Error(`--source: simulator or synthetic, got ${values.source}`);
}

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

/** The handbook dataset in `dir`, simulated unless a previous run left it there. */
async function simulated(dir: string): Promise<{ events: string; labels: string }> {
  const events = join(dir, 'events.jsonl');
  const labels = join(dir, 'labels.jsonl');
  if (!existsSync(events) || !existsSync(labels)) {
    await simulateToFiles({ outDir: dir, format: OutputFormat.Jsonl, simulation: HANDBOOK });
  }
  return { events, labels };
}

/** Streams the files out in 4 MiB chunks; returns their paths. */
function generate(dir: string): { events: string; labels: string } {
  const random = mulberry32(Number(values.seed));
  const events = join(dir, 'events.jsonl');
  const labels = join(dir, 'labels.jsonl');
  const eventsFd = openSync(events, 'w');
  const labelsFd = openSync(labels, 'w');
  let eventChunk = '';
  let labelChunk = '';
  const step = (DAYS * DAY_MS) / EVENTS;
  for (let n = 0; n < EVENTS; n++) {
    // Roughly ordered by time, with jitter of up to a minute (a few events arrive slightly out of order).
    const t = Math.floor(START + n * step + random() * 60_000);
    const customer = Math.floor(random() * CUSTOMERS);
    // Customers mostly use a few "home" terminals: realistic terminal histories, shared across customers.
    const terminal =
      random() < 0.8 ? (customer * 7 + Math.floor(random() * 3)) % TERMINALS : Math.floor(random() * TERMINALS);
    const amount = Math.floor(random() * 20_000) / 100 + 1;
    const id = `tx-${n}`;
    eventChunk += `{"transaction_id":"${id}","event_time":${t},"customer_id":"c-${customer}","terminal_id":"t-${terminal}","amount":${amount},"currency":"EUR"}\n`;
    if (random() < 0.01) {
      const reportedAt = t + Math.floor(3_600_000 + random() * 30 * DAY_MS);
      labelChunk += `{"transaction_id":"${id}","is_fraud":true,"reported_at":${reportedAt}}\n`;
    }
    if (eventChunk.length > 4 << 20) {
      writeSync(eventsFd, eventChunk);
      eventChunk = '';
    }
  }
  writeSync(eventsFd, eventChunk);
  writeSync(labelsFd, labelChunk);
  closeSync(eventsFd);
  closeSync(labelsFd);
  return { events, labels };
}

const inputDir = values['input-dir'];
const dir = inputDir ?? mkdtempSync(join(tmpdir(), 'fraudscore-backfill-'));
try {
  const generatedAt = performance.now();
  const inputs = values.source === 'simulator' ? await simulated(dir) : generate(dir);
  console.log(
    `input: ${values.source === 'simulator' ? `handbook simulation ${JSON.stringify(HANDBOOK)}` : `synthetic, ${EVENTS} events over ${DAYS} days`} ` +
      `ready in ${((performance.now() - generatedAt) / 1000).toFixed(1)} s (${dir})`,
  );

  const cpuBefore = process.cpuUsage();
  const result = await runBackfill({
    events: inputs.events,
    labels: inputs.labels,
    out: join(dir, `training.${tableFormat}`),
    tableFormat,
    labelDelayMs: 7 * DAY_MS,
    stdout: null,
    ...(values['batch-size'] ? { batchSize: Number(values['batch-size']) } : {}),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const [load1] = loadavg();
  const { manifest } = result;
  console.log(
    JSON.stringify(
      {
        events: manifest.eventsRead,
        rows: manifest.rows,
        positiveRows: manifest.positiveRows,
        labels: manifest.labelsRead,
        tableMiB: +(manifest.table.bytes / 2 ** 20).toFixed(1),
        wallSeconds: +(result.elapsedMs / 1000).toFixed(2),
        eventsPerSecond: Math.round(result.eventsPerSecond),
        // CPU seconds of this process (all its threads): on a shared machine, wall time also measures the neighbours.
        cpuSeconds: +cpuSeconds.toFixed(2),
        eventsPerCpuSecond: Math.round(manifest.eventsRead / cpuSeconds),
        loadAverage1m: +load1!.toFixed(2),
        peakRssMiB: Math.round(peakRssMiB),
        tableFormat,
        targets: { wallSeconds: TARGET_WALL_SECONDS, peakRssMiB: TARGET_PEAK_RSS_MIB },
        meetsWallTarget: result.elapsedMs / 1000 <= TARGET_WALL_SECONDS,
        meetsRssTarget: peakRssMiB <= TARGET_PEAK_RSS_MIB,
      },
      null,
      2,
    ),
  );
} finally {
  if (inputDir !== undefined) {
    rmSync(join(dir, `training.${tableFormat}`), { force: true });
    rmSync(join(dir, `training.${tableFormat}.manifest.json`), { force: true });
  } else if (!values.keep) {
    rmSync(dir, { recursive: true, force: true });
  }
}
