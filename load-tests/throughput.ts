/**
 * End-to-end throughput of one worker against the real local stack: decode → 15 features from Redis → ONNX →
 * transactional produce + offsets. Pre-fills the input topic from a child process, then runs the pipeline in this
 * process and prints sustained events/s, per-batch latency (batch closed → transaction committed) and peak RSS.
 *
 *   node dist/load-tests/throughput.js [--events 200000] [--max-records 1000] [--max-wait-ms 50]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { stringify as stringifyYaml } from 'yaml';
import { isolateTopology, loadTopology } from '../src/config/index.js';
import { createLogger } from '../src/adapters/observability/logger.js';
import { createPipeline } from '../src/runtime/context.js';
import { rssSampler, summarize } from './stats.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    'max-records': { type: 'string', default: '1000' },
    'max-wait-ms': { type: 'string', default: '50' },
  },
});
const events = Number(args.events);
const topology = isolateTopology(loadTopology('topologies/card-payments.yaml'), `load-${Date.now().toString(36)}`, {
  maxRecords: Number(args['max-records']),
  maxWaitMs: Number(args['max-wait-ms']),
  metricsPort: 0,
});
const file = join(mkdtempSync(join(tmpdir(), 'fraudscore-load-')), 'topology.yaml');
writeFileSync(file, stringifyYaml(topology));

const kafka = new Kafka({
  clientId: 'fraudscore-load',
  brokers: [...topology.kafka.brokers],
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  waitForLeaders: true,
  topics: [topology.topics.input, topology.topics.output, topology.topics.labels, topology.topics.deadLetter].map(
    (topic) => ({
      topic,
      numPartitions: topology.topics.partitions,
    }),
  ),
});

process.stdout.write(`filling ${topology.topics.input} with ${events} events ...\n`);
const fillStart = performance.now();
execFileSync(process.execPath, ['dist/load-tests/produce-events.js', file, String(events)], { stdio: 'inherit' });
process.stdout.write(`filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s\n`);

const latencies: number[] = [];
const stageTotals: Record<string, number> = {};
const sizes: number[] = [];
let committed = 0;
let firstCommitAt = 0;
let lastCommitAt = 0;
let done: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (done = resolve));
const rss = rssSampler();
const pipeline = await createPipeline({
  topology,
  instanceId: 'load',
  metricsPort: 0,
  log: createLogger({ name: topology.name, level: 'warn' }),
  onCommitted: (summary, batch) => {
    const now = performance.now();
    if (committed === 0) firstCommitAt = now;
    lastCommitAt = now;
    committed += summary.scored + summary.deadLettered;
    latencies.push(batch.latencyMs);
    for (const [stage, ms] of Object.entries(summary.stageMs)) stageTotals[stage] = (stageTotals[stage] ?? 0) + ms;
    sizes.push(batch.size);
    if (committed >= events) done();
  },
});
const runStart = performance.now();
void pipeline.runner.start();
await finished;
const peakRssMiB = rss.stop();
await pipeline.close();
await admin.deleteTopics({
  topics: [topology.topics.input, topology.topics.output, topology.topics.labels, topology.topics.deadLetter],
});
await admin.disconnect();

// Sustained rate: from the first commit to the last, so start-up (group join, model load) is not counted.
const sustained = ((committed - (sizes[0] ?? 0)) / (lastCommitAt - firstCommitAt)) * 1000;
const latency = summarize(latencies);
process.stdout.write(
  [
    '',
    `machine            ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    `events             ${committed} in ${sizes.length} batches (mean ${(committed / sizes.length).toFixed(0)} records)`,
    `wall (incl. join)  ${((lastCommitAt - runStart) / 1000).toFixed(2)} s`,
    `sustained          ${sustained.toFixed(0)} events/s   (target >= 20000)`,
    `batch latency      p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms   (close -> commit; target p99 <= 100)`,
    `stage means        ${Object.entries(stageTotals)
      .map(([stage, ms]) => `${stage} ${(ms / sizes.length).toFixed(1)} ms`)
      .join(', ')} per batch`,
    `peak RSS           ${peakRssMiB.toFixed(0)} MiB   (target <= 300; pipeline process only)`,
    '',
  ].join('\n'),
);
