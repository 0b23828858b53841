/**
 * End-to-end throughput of one worker against the real local stack, on a backlog with labels: decode → labels into
 * the state → 15 features from Redis → ONNX → transactional produce + offsets. In one run:
 *   1. a child process fills the input and labels topics (produce-events.ts: 5,000 customers, 10,000 terminals,
 *      60 days, one delayed label per transaction, seeded);
 *   2. another child measures the no-work ceiling on the same backlog (ceiling.ts: consume → transactional produce +
 *      offsets of the same records, same batch size, same consumer and sink settings);
 *   3. the worker runs in this process until every transaction and label is committed;
 *   4. the exactly-once check reads the outputs as a read_committed consumer (outcomes.ts).
 * Prints sustained events/s, the share of the ceiling, batch latency (closed → committed), peak RSS, per-stage costs
 * per batch and a verdict per target. Absolute figures move with the machine and its load; the ceiling share less so.
 *
 *   node dist/load-tests/throughput.js [--events 200000] [--max-records 1000] [--max-wait-ms 50] [--no-ceiling]
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/adapters/observability/logger.js';
import { createPipeline } from '../src/runtime/context.js';
import { tuneHeapForWorker } from '../src/runtime/heap.js';
import { prepareBacklog } from './backlog.js';
import { checkOutcomes, describeOutcomes } from './outcomes.js';
import { describeResident, residentByKind, rssSampler, summarize } from './stats.js';

const TARGETS = { eventsPerSecond: 20_000, p99Ms: 100, rssMiB: 200 };

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    'max-records': { type: 'string', default: '1000' },
    'max-wait-ms': { type: 'string', default: '50' },
    'no-ceiling': { type: 'boolean', default: false },
  },
});
const events = Number(args.events);
const loadAtStart = loadavg();
const { topology, file, kafka, cleanUp } = await prepareBacklog(
  'load',
  events,
  { maxRecords: Number(args['max-records']), maxWaitMs: Number(args['max-wait-ms']) },
  (t) => [`${t.topics.output}.ceiling`],
);
const scratchTopic = `${topology.topics.output}.ceiling`;

interface Ceiling {
  recordsPerSecond: number;
  commitP50Ms: number;
  commitP99Ms: number;
  peakRssMiB: number;
}
let ceiling: Ceiling | undefined;
if (!args['no-ceiling']) {
  process.stdout.write('no-work ceiling (consume -> transactional produce + offsets) ...\n');
  const out = execFileSync(process.execPath, ['dist/load-tests/ceiling.js', file, String(2 * events), scratchTopic], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  ceiling = JSON.parse(out.toString().trim().split('\n').pop() as string) as Ceiling;
}

const latencies: number[] = [];
/** Per batch: its latency and stage times, to say what the slowest batches spent their time on. */
const batchStages: { index: number; latencyMs: number; stages: Record<string, number> }[] = [];
let batches = 0;
let transactions = 0;
let labels = 0;
let firstCommitAt = 0;
let firstBatchRecords = 0;
let lastCommitAt = 0;
let done: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (done = resolve));
process.stdout.write('worker ...\n');
tuneHeapForWorker(); // as `fraudscore run` does
const rss = rssSampler();
const pipeline = await createPipeline({
  topology,
  instanceId: 'load',
  metricsPort: 0,
  log: createLogger({ name: topology.name, level: 'warn' }),
  onCommitted: (summary, batch) => {
    const now = performance.now();
    if (batches === 0) {
      firstCommitAt = now;
      firstBatchRecords = batch.size;
    }
    batches++;
    lastCommitAt = now;
    transactions += summary.transactions;
    labels += batch.size - summary.transactions;
    latencies.push(batch.latencyMs);
    batchStages.push({
      index: batches - 1,
      latencyMs: batch.latencyMs,
      stages: { ...summary.stageMs, commit: batch.commitMs },
    });
    if (transactions >= events && labels >= events) done();
  },
});
// What the worker holds before its first record (node, the libraries, the model's session, connections): the floor
// under the peak.
const startingRssMiB = process.memoryUsage.rss() / 2 ** 20;
const startingResident = residentByKind();
const runStart = performance.now();
const cpuAtStart = process.cpuUsage();
void pipeline.runner.start();
await finished;
const cpu = process.cpuUsage(cpuAtStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakRssMiB = rss.stop();
await pipeline.close();
const loadAtEnd = loadavg();

process.stdout.write('exactly-once check (read_committed) ...\n');
const outcomes = await checkOutcomes(kafka, topology);
await cleanUp();

// Sustained: from the first commit to the last, so start-up (group join, model load) is not counted.
const seconds = (lastCommitAt - firstCommitAt) / 1000;
const records = transactions + labels;
const eventsPerSecond = (transactions - (firstBatchRecords * transactions) / records) / seconds;
const recordsPerSecond = (records - firstBatchRecords) / seconds;
const latency = summarize(latencies);
const stageTotals = sumStages(batchStages);
// A worker runs for days: its first batches pay once for JIT compilation, empty replicas (whole logs fetched) and
// the first transactions. Latency is also reported without them; the target is read on the steady state.
const WARM_UP_BATCHES = 20;
const steady = summarize(latencies.slice(WARM_UP_BATCHES));
const slowest = batchStages
  .slice(WARM_UP_BATCHES)
  .sort((a, b) => b.latencyMs - a.latencyMs)
  .slice(0, Math.max(1, batches / 100));
const slowestStages = sumStages(slowest);
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
const share = ceiling ? `${((100 * recordsPerSecond) / ceiling.recordsPerSecond).toFixed(0)} %` : 'not measured';
process.stdout.write(
  [
    '',
    `machine            ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}${process.env.MALLOC_ARENA_MAX ? `, MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}` : ''}`,
    `load average       ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${loadAtEnd.map((l) => l.toFixed(1)).join(' ')} at end`,
    `backlog            ${events} transactions + ${events} labels, ${topology.topics.partitions} partitions each`,
    `worker             ${transactions} transactions + ${labels} labels in ${batches} batches (mean ${(records / batches).toFixed(0)} records); wall incl. join ${((lastCommitAt - runStart) / 1000).toFixed(1)} s`,
    `sustained          ${eventsPerSecond.toFixed(0)} events/s (transactions scored; ${recordsPerSecond.toFixed(0)} records/s with labels)   target >= ${TARGETS.eventsPerSecond}: ${verdict(eventsPerSecond >= TARGETS.eventsPerSecond)}`,
    ceiling
      ? `no-work ceiling    ${ceiling.recordsPerSecond.toFixed(0)} records/s (commit p50 ${ceiling.commitP50Ms.toFixed(1)} ms, p99 ${ceiling.commitP99Ms.toFixed(1)} ms, RSS ${ceiling.peakRssMiB.toFixed(0)} MiB); worker at ${share} of it`
      : 'no-work ceiling    not measured (--no-ceiling)',
    `batch latency      after the first ${WARM_UP_BATCHES} batches: p50 ${steady.p50.toFixed(1)} ms, p99 ${steady.p99.toFixed(1)} ms, max ${steady.max.toFixed(1)} ms (closed -> committed)   target p99 <= ${TARGETS.p99Ms}: ${verdict(steady.p99 <= TARGETS.p99Ms)}`,
    `                   all batches: p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms`,
    `stage means        ${Object.entries(stageTotals)
      .map(([stage, ms]) => `${stage} ${(ms / batches).toFixed(1)} ms`)
      .join(', ')} per batch (decode, features, model, encode score the next batch while commit runs)`,
    `slowest 1 %        after the first ${WARM_UP_BATCHES}: ${slowest.length} batches (numbers ${slowest.map((b) => b.index + 1).join(', ')} of ${batches}), latency ${(slowest.reduce((sum, b) => sum + b.latencyMs, 0) / slowest.length).toFixed(1)} ms mean: ${Object.entries(
      slowestStages,
    )
      .map(([stage, ms]) => `${stage} ${(ms / slowest.length).toFixed(1)} ms`)
      .join(', ')}; the rest is waiting (the previous commit, the event loop)`,
    `peak RSS           ${peakRssMiB.toFixed(0)} MiB (worker process; at the peak: ${rss.atPeak()})   target <= ${TARGETS.rssMiB}: ${verdict(peakRssMiB <= TARGETS.rssMiB)}`,
    `                   before the first record (model loaded, connected): ${startingRssMiB.toFixed(0)} MiB (${describeResident(startingResident)})`,
    `worker CPU         ${((1000 * cpuSeconds) / (transactions + labels)).toFixed(3)} CPU-ms per record (${cpuSeconds.toFixed(1)} s user+system for ${transactions + labels} records; steadier than wall time on a shared machine)`,
    `exactly once       ${describeOutcomes(outcomes)}`,
    '',
  ].join('\n'),
);
process.exitCode = outcomes.lost + outcomes.duplicated + outcomes.unexpected === 0 ? 0 : 1;

/** Milliseconds per stage, summed over the given batches. */
function sumStages(list: readonly { stages: Record<string, number> }[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const { stages } of list) {
    for (const [stage, ms] of Object.entries(stages)) totals[stage] = (totals[stage] ?? 0) + ms;
  }
  return totals;
}
