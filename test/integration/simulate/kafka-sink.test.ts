import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import kafkajs, { type Admin, type KafkaMessage } from 'kafkajs';
import { createAvroSerde } from '../../../src/adapters/registry/serde.js';
import { DeadLetterReason } from '../../../src/core/contract/reasons.js';
import { simulate, type SimulationOptions } from '../../../src/core/simulate/index.js';
import { HOSTILE_KIND_HEADER, simulateToKafka, type SimulatorKafkaSettings } from '../../../src/simulate/index.js';
import { STACK, deleteTopics, testKafka, uniqueName } from '../../support/stack.js';

const { ConfigResourceTypes } = kafkajs;

const simulation: Partial<SimulationOptions> = { seed: 31, customers: 200, terminals: 150, days: 5, invalidRate: 0.01 };
const created: string[] = [];

function settingsFor(prefix: string): SimulatorKafkaSettings {
  const transactionsTopic = `${prefix}.transactions`;
  const labelsTopic = `${prefix}.labels`;
  created.push(transactionsTopic, labelsTopic);
  return {
    brokers: STACK.brokers,
    clientId: 'fraudscore-simulate-test',
    registry: { url: STACK.registryUrl },
    transactionsTopic,
    labelsTopic,
    partitions: 4,
  };
}

async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

interface Read {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

/** Reads `expected` records from the topics (raw bytes: hostile records must be seen as they were written). */
async function readAll(topics: readonly string[], expected: number, timeoutMs = 60_000): Promise<Read[]> {
  const consumer = testKafka().consumer({ groupId: uniqueName('simulate-reader') });
  await consumer.connect();
  const read: Read[] = [];
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) read.push({ topic: batch.topic, partition: batch.partition, message });
        if (read.length >= expected) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    // A pending timer would keep the test process alive for the full timeout.
    clearTimeout(timer);
    return read;
  } finally {
    await consumer.disconnect();
  }
}

after(async () => {
  await deleteTopics(created);
});

describe('simulateToKafka against the local stack', () => {
  it('produces Avro transactions and labels that read back with the same ids, keys, timestamps and defects', async () => {
    const kafka = settingsFor(uniqueName('sim'));
    // The topics exist beforehand, as in production; retention.ms=-1 because the records carry 2026-01 timestamps.
    await withAdmin((admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [kafka.transactionsTopic, kafka.labelsTopic].map((topic) => ({
          topic,
          numPartitions: 4,
          configEntries: [{ name: 'retention.ms', value: '-1' }],
        })),
      }),
    );

    const result = await simulateToKafka({ kafka, simulation, batchSize: 500 });
    assert.deepEqual(result.createdTopics, []);
    const records = [...simulate(simulation)];
    const transactions = records.flatMap((r) => (r.kind === 'transaction' ? [r.event] : []));
    const labels = records.flatMap((r) => (r.kind === 'label' ? [r.label] : []));
    const hostile = records.flatMap((r) => (r.kind === 'hostile' ? [r.record] : []));
    assert.ok(hostile.length > 0, 'the run includes hostile records');
    assert.equal(result.inputMessages, transactions.length + hostile.length);
    assert.equal(result.labelMessages, labels.length);

    const read = await readAll([kafka.transactionsTopic, kafka.labelsTopic], records.length);
    assert.equal(read.length, records.length, 'every record arrives, exactly once');
    const serde = createAvroSerde(kafka.registry);

    // Transactions: decodable, same ids and values, keyed by customer, stamped with the event time.
    const byId = new Map(transactions.map((t) => [t.transactionId, t]));
    const partitionOfCustomer = new Map<string, number>();
    const seenHostile = new Map<string, { reason: DeadLetterReason | 'ok'; kind: string }>();
    let validRead = 0;
    for (const { message, partition } of read.filter((r) => r.topic === kafka.transactionsTopic)) {
      const key = message.key?.toString() ?? '';
      const kindHeader = message.headers?.[HOSTILE_KIND_HEADER]?.toString();
      const decoded = await serde.decode(message.value);
      if (kindHeader !== undefined) {
        seenHostile.set(key, { reason: decoded.ok ? 'ok' : decoded.reason, kind: kindHeader });
        continue;
      }
      assert.ok(decoded.ok, `valid record did not decode: ${decoded.ok ? '' : decoded.detail}`);
      const expected = byId.get(decoded.value.transaction_id as string);
      assert.ok(expected, `unexpected id ${String(decoded.value.transaction_id)}`);
      assert.equal(decoded.schemaId, result.transactionSchemaId);
      assert.equal(key, expected.customerId);
      assert.equal(Number(decoded.value.event_time), expected.eventTimeMs);
      assert.equal(decoded.value.amount, expected.amount);
      assert.equal(message.timestamp, String(expected.eventTimeMs));
      // Keyed by customer: all of a customer's payments in one partition, which per-customer features rely on.
      const previous = partitionOfCustomer.get(key);
      assert.ok(previous === undefined || previous === partition, `customer ${key} spread over partitions`);
      partitionOfCustomer.set(key, partition);
      validRead += 1;
    }
    assert.equal(validRead, transactions.length);
    assert.ok(new Set(partitionOfCustomer.values()).size > 1, 'customers spread over the 4 partitions');

    // Hostile records: all there under their bad- keys; the wire-level ones fail decoding with the expected reason.
    assert.equal(seenHostile.size, hostile.length);
    for (const h of hostile) {
      const seen = seenHostile.get(h.id);
      assert.ok(seen, `hostile ${h.id} missing`);
      assert.equal(seen.kind, h.kind);
      const wireLevel: readonly DeadLetterReason[] = [
        DeadLetterReason.NotWireFormat,
        DeadLetterReason.UnknownSchemaId,
        DeadLetterReason.UndecodableBody,
      ];
      assert.equal(seen.reason, wireLevel.includes(h.expectedReason) ? h.expectedReason : 'ok', h.kind);
    }

    // Labels: same ids and truth, keyed by transaction id, stamped with reported_at, in reported_at order per partition.
    const expectedLabels = new Map(labels.map((l) => [l.transactionId, l]));
    const lastPerPartition = new Map<number, number>();
    let labelsRead = 0;
    for (const { message, partition } of read.filter((r) => r.topic === kafka.labelsTopic)) {
      const decoded = await serde.decode(message.value);
      assert.ok(decoded.ok);
      const expected = expectedLabels.get(decoded.value.transaction_id as string);
      assert.ok(expected);
      assert.equal(message.key?.toString(), expected.transactionId);
      assert.equal(decoded.value.is_fraud, expected.isFraud);
      assert.equal(Number(decoded.value.reported_at), expected.reportedAtMs);
      assert.equal(message.timestamp, String(expected.reportedAtMs));
      assert.ok((lastPerPartition.get(partition) ?? 0) <= expected.reportedAtMs);
      lastPerPartition.set(partition, expected.reportedAtMs);
      labelsRead += 1;
    }
    assert.equal(labelsRead, labels.length);
  });

  it('creates missing topics with the partitions asked for and unlimited retention', async () => {
    const kafka = settingsFor(uniqueName('sim'));
    const result = await simulateToKafka({ kafka, simulation: { ...simulation, days: 1, invalidRate: 0 } });
    assert.deepEqual([...result.createdTopics].sort(), [kafka.labelsTopic, kafka.transactionsTopic].sort());
    await withAdmin(async (admin) => {
      const metadata = await admin.fetchTopicMetadata({ topics: [kafka.transactionsTopic] });
      assert.equal(metadata.topics[0]?.partitions.length, 4);
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: kafka.transactionsTopic, configNames: ['retention.ms'] }],
      });
      assert.equal(configs.resources[0]?.configEntries[0]?.configValue, '-1');
    });
  });

  it('refuses, before producing anything, a topic whose retention would delete the simulated past', async () => {
    const kafka = settingsFor(uniqueName('sim'));
    await withAdmin((admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [kafka.transactionsTopic, kafka.labelsTopic].map((topic) => ({
          topic,
          numPartitions: 1,
          configEntries: [{ name: 'retention.ms', value: String(7 * 86_400_000) }],
        })),
      }),
    );
    await assert.rejects(simulateToKafka({ kafka, simulation }), /retention\.ms=604800000.*Fix/s);
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(kafka.transactionsTopic));
    assert.deepEqual(
      offsets.map((o) => o.high),
      ['0'],
    );
  });
});
