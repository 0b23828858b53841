/**
 * Live latency: how long a record waits from produce to its score being visible to a read_committed downstream
 * reader, on a live stream (event time = now, labels flowing), for several batch windows. The window is an upper
 * bound: once the partitions are read to their ends and batch.minRecords (100) wait, a batch closes ('drained'), so a
 * record waits about one batch's work; under load batches grow to maxRecords and close by size.
 *
 *   node dist/load-tests/live-latency.js [--rate 2000] [--seconds 20] [--windows 200,2000,30000]
 *                                        [--slow-rates 100,2] [--slow-seconds 70] [--labels-per-second 40]
 *                                        [--warmup-seconds 10]
 *
 * Targets on the reference machine (2 cores, everything co-located): at 2,000 records/s, p99 ≤ 1 s for every
 * window; on a slow stream with a 30 s window, p99 ≤ 30.5 s. At 100 records/s 100 records gather in 1 s, so batches
 * close as drained; at 2 records/s (60 records per window) they close by time: the slow runs show both.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { measureLiveStream, type LiveStreamResult } from '../test/support/live-stream.js';
import { quantile } from './stats.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '20' },
    windows: { type: 'string', default: '200,2000,30000' },
    'slow-rates': { type: 'string', default: '100,2' },
    'slow-seconds': { type: 'string', default: '70' },
    'labels-per-second': { type: 'string', default: '40' },
    'warmup-seconds': { type: 'string', default: '10' },
  },
});

function line(label: string, result: LiveStreamResult, target: string): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const ms = (q: number) => `${quantile(sorted, q).toFixed(0)}`.padStart(6);
  const reasons = Object.entries(result.closeReasons)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const stage = (name: string) => (result.meanBatchMs[name] ?? Number.NaN).toFixed(0);
  return (
    `${label.padEnd(28)} visible ${result.visible}/${result.sent}, dup ${result.duplicates}   ` +
    `p50 ${ms(0.5)}  p90 ${ms(0.9)}  p99 ${ms(0.99)}  max ${ms(1)} ms   closes: ${reasons}   (${target})\n` +
    `${''.padEnd(28)} mean per batch, close → commit ${stage('batch')} ms: ` +
    ['features', 'model', 'encode', 'commit'].map((name) => `${name} ${stage(name)}`).join(', ')
  );
}

const rate = Number(args.rate);
const labelsPerSecond = Number(args['labels-per-second']);
process.stdout.write(
  `machine  ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n` +
    `stream   event time = now, 4 partitions, ${labelsPerSecond} labels/s, 5,000 customers, 10,000 terminals\n\n`,
);
// A stack started moments ago (broker JIT, first topics) adds up to a second to the first run's tail: one unmeasured
// run at the full rate first, its figures printed, so the table reads the steady state.
const warmupSeconds = Number(args['warmup-seconds']);
if (warmupSeconds > 0) {
  const warmup = await measureLiveStream({
    ratePerSecond: rate,
    durationMs: warmupSeconds * 1000,
    maxWaitMs: 2000,
    labelsPerSecond,
  });
  process.stdout.write(`${line(`warm-up, ${rate}/s, ${warmupSeconds} s`, warmup, 'not counted')}\n\n`);
}
for (const window of args.windows.split(',').map(Number)) {
  const result = await measureLiveStream({
    ratePerSecond: rate,
    durationMs: Number(args.seconds) * 1000,
    maxWaitMs: window,
    labelsPerSecond,
  });
  const out = line(`${rate}/s, window ${window} ms`, result, 'target p99 <= 1000 ms');
  process.stdout.write(`${out}\n`);
}
for (const slowRate of args['slow-rates']
  .split(',')
  .map(Number)
  .filter((r) => r > 0)) {
  const result = await measureLiveStream({
    ratePerSecond: slowRate,
    durationMs: Number(args['slow-seconds']) * 1000,
    maxWaitMs: 30_000,
    labelsPerSecond: Math.min(labelsPerSecond, slowRate / 10),
  });
  const drainsBeforeWindow = slowRate * 30 >= 100;
  const expected = drainsBeforeWindow ? 'closes as drained (100 records in < 30 s)' : 'closes by time';
  const out = line(`${slowRate}/s, window 30000 ms`, result, `target: ${expected}, p99 <= 30500 ms`);
  process.stdout.write(`${out}\n`);
}
