/**
 * Child process of the throughput benchmark: the no-work ceiling on the same backlog. Consumes the input and labels
 * topics with the worker's consumer settings (its own group) and the worker's transactional sink, and commits each
 * `maxRecords` consumed records as the worker commits a batch: the same records produced again (to a scratch topic)
 * plus their offsets, in one transaction. Nothing is decoded, featurised or scored. Prints one JSON line.
 *
 * Usage: node dist/load-tests/ceiling.js <topology.yaml> <records expected>
 */
import type { Message } from 'kafkajs';
import { loadTopology } from '../src/config/index.js';
import { createKafka } from '../src/adapters/kafka/kafka-client.js';
import { createTransactionalSink } from '../src/adapters/kafka/transactional-sink.js';
import { createLogger, logLevelFor } from '../src/adapters/observability/logger.js';
import { workerConsumerConfig } from '../src/runtime/consumer-config.js';
import { rssSampler, summarize } from './stats.js';

const [file, expectedText, scratchTopic] = process.argv.slice(2);
if (!file || !expectedText || !scratchTopic)
  throw new Error('usage: ceiling <topology.yaml> <records> <scratch topic>');
const topology = loadTopology(file);
const expected = Number(expectedText);
const groupId = `${topology.consumerGroup}.ceiling`;
const kafka = createKafka(topology, createLogger({ name: 'ceiling', level: logLevelFor('warn') }));
const sink = await createTransactionalSink(kafka, {
  transactionalId: `${topology.name}.ceiling`,
  consumerGroupId: groupId,
});
const consumer = kafka.consumer({ ...workerConsumerConfig(topology), groupId });
await consumer.connect();
for (const topic of [topology.topics.labels, topology.topics.input])
  await consumer.subscribe({ topic, fromBeginning: true });

const rss = rssSampler();
let pending: Message[] = [];
let offsets = new Map<string, Map<number, string>>();
let consumed = 0;
let committed = 0;
const latencies: number[] = [];
let firstCommitAt = 0;
let lastCommitAt = 0;
let firstSize = 0;
let done: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (done = resolve));

/** One transaction at a time, in order, as the worker commits (partitions' handlers run concurrently). */
let committing: Promise<void> = Promise.resolve();

function commit(): Promise<void> {
  const batch = { messagesByTopic: new Map([[scratchTopic as string, pending]]), offsets };
  const size = pending.length;
  pending = [];
  offsets = new Map();
  committing = committing.then(async () => {
    const started = performance.now();
    await sink.commitBatch(batch);
    const now = performance.now();
    latencies.push(now - started);
    if (committed === 0) {
      firstCommitAt = now;
      firstSize = size;
    }
    lastCommitAt = now;
    committed += size;
    if (committed >= expected) done();
  });
  return committing;
}

await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: 64,
  eachBatch: async ({ batch }) => {
    for (const message of batch.messages) {
      pending.push({ key: message.key, value: message.value });
      let perTopic = offsets.get(batch.topic);
      if (!perTopic) offsets.set(batch.topic, (perTopic = new Map()));
      perTopic.set(batch.partition, (BigInt(message.offset) + 1n).toString());
      consumed++;
      if (pending.length >= topology.batch.maxRecords || consumed >= expected) await commit();
    }
  },
});
await finished;
const peakRssMiB = rss.stop();
await consumer.disconnect();
await sink.disconnect();
const latency = summarize(latencies);
process.stdout.write(
  `${JSON.stringify({
    records: committed,
    batches: latencies.length,
    recordsPerSecond: ((committed - firstSize) / (lastCommitAt - firstCommitAt)) * 1000,
    commitP50Ms: latency.p50,
    commitP99Ms: latency.p99,
    peakRssMiB,
  })}\n`,
);
