/**
 * The benchmarks' exactly-once check: reads the output and dead-letter topics as a downstream read_committed consumer
 * and checks that every input offset (0 up to the partition's end) has exactly one outcome, and that no label is
 * dead-lettered twice. Keeps only positions and batch ids, so 200,000 outcomes fit in a few MB.
 */
import type { Kafka } from 'kafkajs';
import type { Topology } from '../src/config/index.js';
import { registryConnection } from '../src/config/index.js';
import { createAvroSerde } from '../src/adapters/registry/serde.js';

export interface OutcomeCheck {
  readonly inputs: number;
  readonly outcomes: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly unexpected: number;
  /** Outcomes by the instance id in their batch id (`<topology>-<instance>-<start>-<n>`). */
  readonly byWorker: ReadonlyMap<string, number>;
}

export interface CheckOptions {
  readonly timeoutMs?: number;
  /** Called after each fetched batch of outcomes, with the counts so far. */
  readonly onProgress?: (outcomes: number, byWorker: ReadonlyMap<string, number>) => void;
}

export async function checkOutcomes(
  kafka: Kafka,
  topology: Topology,
  options: CheckOptions = {},
): Promise<OutcomeCheck> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const { input, output, deadLetter } = topology.topics;
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(input);
  await admin.disconnect();
  const inputs = ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
  const serde = createAvroSerde(registryConnection(topology));
  /** Per input partition, how many outcomes each offset got. */
  const seen = new Map(ends.map((end) => [end.partition, new Uint8Array(Number(end.high))]));
  const labelDeadLetters = new Set<string>();
  const byWorker = new Map<string, number>();
  let outcomes = 0;
  let duplicated = 0;
  let unexpected = 0;
  const consumer = kafka.consumer({ groupId: `${topology.consumerGroup}.check-${Date.now()}`, readUncommitted: false });
  await consumer.connect();
  for (const topic of [output, deadLetter]) await consumer.subscribe({ topic, fromBeginning: true });
  let settled: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (settled = resolve));
  let settleTimer: NodeJS.Timeout | undefined;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      await serde.prepare(batch.messages.map((message) => message.value));
      for (const message of batch.messages) {
        const decoded = serde.decodeSync(message.value);
        if (!decoded.ok) throw new Error(`undecodable outcome at ${batch.topic}/${batch.partition}@${message.offset}`);
        const value = decoded.value;
        const batchId = String(value['batch_id']);
        const worker = batchId.slice(topology.name.length + 1).split('-')[0] ?? '?';
        byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
        if (batch.topic === deadLetter && value['source_topic'] !== input) {
          const key = `${String(value['source_partition'])}@${String(value['source_offset'])}`;
          if (labelDeadLetters.has(key)) duplicated++;
          labelDeadLetters.add(key);
          continue;
        }
        outcomes++;
        const counts = seen.get(Number(value['source_partition']));
        const offset = Number(value['source_offset']);
        if (!counts || offset >= counts.length) unexpected++;
        else if (++counts[offset]! > 1) duplicated++;
      }
      options.onProgress?.(outcomes, byWorker);
      // Read on a little once every input has an outcome, so that late duplicates would be seen too.
      if (outcomes >= inputs && settleTimer === undefined) settleTimer = setTimeout(settled, 3_000);
    },
  });
  const timer = setTimeout(settled, timeoutMs);
  await finished;
  clearTimeout(timer);
  clearTimeout(settleTimer);
  await consumer.disconnect();
  let lost = 0;
  for (const counts of seen.values()) for (const count of counts) if (count === 0) lost++;
  return { inputs, outcomes, lost, duplicated, unexpected, byWorker };
}

export function describeOutcomes(check: OutcomeCheck): string {
  const ok = check.lost === 0 && check.duplicated === 0 && check.unexpected === 0;
  return (
    `${ok ? 'PASS' : 'FAIL'}: ${check.inputs} input offsets, ${check.outcomes} outcomes (read_committed): ` +
    `${check.lost} lost, ${check.duplicated} duplicated, ${check.unexpected} unexpected`
  );
}
