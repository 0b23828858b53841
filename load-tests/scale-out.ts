/**
 * Scale-out: two workers of one topology, each a `fraudscore run` process (test/support/worker-process.ts), on the
 * backlog of the throughput benchmark (produce-events.ts). The first starts alone; the second joins once a share of
 * the outcomes is out (a rebalance mid-run). Prints each worker's share of the outcomes and of the throughput while
 * both ran, and the exactly-once check (outcomes.ts): nothing lost, nothing duplicated. That the features stay exact
 * when a worker joins mid-replay is the parity test's (test/integration/features/parity.test.ts).
 *
 *   node dist/load-tests/scale-out.js [--events 100000] [--join-at 0.3]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startWorker, stopWorker, type WorkerProcess } from '../test/support/worker-process.js';
import { prepareBacklog } from './backlog.js';
import { checkOutcomes, describeOutcomes } from './outcomes.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'join-at': { type: 'string', default: '0.3' },
  },
});
const events = Number(args.events);
const joinAt = Number(args['join-at']);
const loadAtStart = loadavg();
const { topology, file, kafka, cleanUp } = await prepareBacklog('scale', events, { maxWaitMs: 50 });

const started = performance.now();
const workers: WorkerProcess[] = [startWorker(file, 'w1')];
let joined: { atMs: number; byWorker: Map<string, number> } | undefined;
let last: { atMs: number; byWorker: Map<string, number> } | undefined;
const outcomes = await checkOutcomes(kafka, topology, {
  timeoutMs: 600_000,
  onProgress: (count, byWorker) => {
    last = { atMs: performance.now(), byWorker: new Map(byWorker) };
    if (joined === undefined && count >= joinAt * events) {
      joined = last;
      process.stdout.write(
        `second worker joins at ${count} outcomes, ${((last.atMs - started) / 1000).toFixed(1)} s\n`,
      );
      workers.push(startWorker(file, 'w2'));
    }
  },
});
for (const worker of workers) await stopWorker(worker);
await cleanUp();

const bothSeconds = joined && last ? (last.atMs - joined.atMs) / 1000 : 0;
const lines = [
  '',
  `machine            ${cpus().length} cores, node ${process.version}; load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at end`,
  `backlog            ${events} transactions + ${events} labels, ${topology.topics.partitions} partitions each`,
  `wall               ${(((last?.atMs ?? started) - started) / 1000).toFixed(1)} s; second worker from ${(((joined?.atMs ?? started) - started) / 1000).toFixed(1)} s, both for ${bothSeconds.toFixed(1)} s`,
];
const total = [...outcomes.byWorker.values()].reduce((a, b) => a + b, 0);
for (const [worker, n] of [...outcomes.byWorker].sort()) {
  const whileBoth = n - (joined?.byWorker.get(worker) ?? 0);
  lines.push(
    `worker ${worker.padEnd(11)} ${n} outcomes (${((100 * n) / Math.max(1, total)).toFixed(0)} % of all); ` +
      `after the join ${whileBoth} (${(whileBoth / Math.max(bothSeconds, 1e-3)).toFixed(0)} outcomes/s)`,
  );
}
lines.push(`exactly once       ${describeOutcomes(outcomes)}`, '');
for (const worker of workers)
  if (worker.child.exitCode) lines.push(`worker exited ${worker.child.exitCode}:`, worker.output());
process.stdout.write(lines.join('\n'));
process.exitCode = outcomes.lost + outcomes.duplicated + outcomes.unexpected === 0 ? 0 : 1;
