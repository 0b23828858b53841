import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Consumer } from 'kafkajs';
import { stringify as stringifyYaml } from 'yaml';
import { isolateTopology, loadTopology, type IsolationOverrides, type Topology } from '../../src/config/index.js';
import { createAvroSerde, type AvroSerde } from '../../src/adapters/registry/serde.js';
import type { RegistryConnection } from '../../src/config/index.js';
import { readContractSchema } from '../../src/adapters/registry/contract-schemas.js';

/** Connection settings of the local stack (deploy/local/stack.sh), overridable like the topology's. */
export const STACK = {
  brokers: (process.env['FRAUDSCORE_KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(','),
  registryUrl: process.env['FRAUDSCORE_REGISTRY_URL'] ?? 'http://127.0.0.1:18081/apis/ccompat/v7',
  redisUrl: process.env['FRAUDSCORE_REDIS_URL'] ?? 'redis://127.0.0.1:16379',
};

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testKafka(): Kafka {
  return new Kafka({ clientId: 'fraudscore-test', brokers: STACK.brokers, logLevel: logLevel.NOTHING });
}

/**
 * A topology with topics, group and key prefix of its own, so tests never see each other's data.
 * Written to a temp file too, for tests that run the CLI as a child process.
 */
export function testTopology(overrides: IsolationOverrides = {}): {
  topology: Topology;
  file: string;
  topics: string[];
} {
  const base = loadTopology('topologies/card-payments.yaml');
  const topology = isolateTopology(base, uniqueName('t'), { maxWaitMs: 200, metricsPort: 0, ...overrides });
  const file = join(mkdtempSync(join(tmpdir(), 'fraudscore-')), 'topology.yaml');
  writeFileSync(file, stringifyYaml(topology));
  const { input, output, labels, deadLetter } = topology.topics;
  return { topology, file, topics: [input, output, labels, deadLetter] };
}

/** Where a helper connects: the plain local stack unless a test passes a secured Kafka or registry. */
export interface StackConnections {
  readonly kafka?: Kafka;
  readonly registry?: RegistryConnection;
}

export async function deleteTopics(topics: readonly string[], kafka: Kafka = testKafka()): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}

export async function createTopics(topics: readonly string[], partitions: number): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
    });
  } finally {
    await admin.disconnect();
  }
}

export interface TestProducer {
  serde: AvroSerde;
  transactionSchemaId: number;
  labelSchemaId: number;
  send(topic: string, messages: { key: string | null; value: Buffer | null; partition?: number }[]): Promise<void>;
  close(): Promise<void>;
}

/** An upstream producer as any Confluent-compatible client would be: registers its schema, writes wire format. */
export async function testProducer(topology: Topology, connections: StackConnections = {}): Promise<TestProducer> {
  const serde = createAvroSerde(connections.registry ?? { url: STACK.registryUrl });
  const transactionSchemaId = await serde.register(`${topology.topics.input}-value`, readContractSchema('transaction'));
  const labelSchemaId = await serde.register(`${topology.topics.labels}-value`, readContractSchema('label'));
  const producer = (connections.kafka ?? testKafka()).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
  });
  await producer.connect();
  return {
    serde,
    transactionSchemaId,
    labelSchemaId,
    async send(topic, messages) {
      for (let i = 0; i < messages.length; i += 2000) {
        await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
      }
    },
    close: () => producer.disconnect(),
  };
}

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** Decoded value; empty for raw reads. */
  value: Record<string, unknown>;
  raw: Buffer | null;
}

/**
 * Reads committed records of the topics until `until(records)` holds or the timeout passes, decoding each with the
 * registry the way any downstream Confluent-compatible consumer would.
 */
export async function readCommitted(
  topics: readonly string[],
  until: (records: ReadRecord[]) => boolean,
  timeoutMs = 60_000,
  options: { raw?: boolean; settleMs?: number } & StackConnections = {},
): Promise<ReadRecord[]> {
  const serde = createAvroSerde(options.registry ?? { url: STACK.registryUrl });
  const consumer: Consumer = (options.kafka ?? testKafka()).consumer({
    groupId: uniqueName('reader'),
    readUncommitted: false,
  });
  await consumer.connect();
  const records: ReadRecord[] = [];
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          let value: Record<string, unknown> = {};
          if (!options.raw) {
            const decoded = await serde.decode(message.value);
            if (!decoded.ok) {
              throw new Error(
                `undecodable output at ${batch.topic}/${batch.partition}@${message.offset}: ${decoded.detail}`,
              );
            }
            value = decoded.value;
          }
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            value,
            raw: message.value,
          });
        }
        if (until(records)) {
          // Keep reading a little longer when asked, so late extra records (duplicates) would be seen too.
          if (options.settleMs) setTimeout(done, options.settleMs);
          else done();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return records;
  } finally {
    await consumer.disconnect();
  }
}
