/**
 * Child process of the throughput and scale-out benchmarks: fills the input and labels topics before any worker
 * starts, so a worker's RSS and CPU are measured alone. Seeded, so every run sees the same backlog:
 *   - `count` transactions over 60 days, in event-time order, from 5,000 customers, each paying at ~10 terminals of
 *     its own among 10,000 (a terminal is shared by ~5 customers, so by every input partition);
 *   - one label per transaction (about 1 % fraud), reported 1 hour to 7 days after it, produced in report order.
 *
 * Usage: node dist/load-tests/produce-events.js <topology.yaml> <count>
 */
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { loadTopology, registryConnection } from '../src/config/index.js';
import { createAvroSerde } from '../src/adapters/registry/serde.js';
import { readContractSchema } from '../src/adapters/registry/contract-schemas.js';
import { Prng } from '../src/core/simulate/index.js';

const BACKLOG = {
  customers: 5_000,
  terminals: 10_000,
  terminalsPerCustomer: 10,
  days: 60,
  startMs: Date.UTC(2026, 0, 5),
  labelDelayMinMs: 3_600_000,
  labelDelayMaxMs: 7 * 86_400_000,
  fraudRate: 0.01,
  seed: 12,
} as const;

const [file, countText] = process.argv.slice(2);
if (!file || !countText) throw new Error('usage: produce-events <topology.yaml> <count>');
const topology = loadTopology(file);
const count = Number(countText);
const serde = createAvroSerde(registryConnection(topology));
const transactionSchema = await serde.register(`${topology.topics.input}-value`, readContractSchema('transaction'));
const labelSchema = await serde.register(`${topology.topics.labels}-value`, readContractSchema('label'));
const kafka = new Kafka({
  clientId: 'fraudscore-load',
  brokers: [...topology.kafka.brokers],
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
await producer.connect();

const prng = new Prng(BACKLOG.seed);
const next = () => prng.nextFloat();
const spanMs = BACKLOG.days * 86_400_000;
const terminalsOf = Array.from({ length: BACKLOG.customers }, () =>
  Array.from({ length: BACKLOG.terminalsPerCustomer }, () => Math.floor(next() * BACKLOG.terminals)),
);
// Event times: count sorted uniform instants over the span (increments of an ordered sample).
const times = Float64Array.from({ length: count }, () => BACKLOG.startMs + Math.floor(next() * spanMs)).sort();
const labels: { transactionId: string; fraud: boolean; reportedAt: number }[] = [];

async function send(topic: string, messages: Message[]): Promise<void> {
  if (messages.length > 0) await producer.send({ topic, acks: -1, messages: messages.splice(0) });
}

const transactions: Message[] = [];
for (let i = 0; i < count; i++) {
  const customer = Math.floor(next() * BACKLOG.customers);
  const terminal = terminalsOf[customer]![Math.floor(next() * BACKLOG.terminalsPerCustomer)]!;
  const eventTime = times[i]!;
  const transactionId = `load-${i}`;
  transactions.push({
    key: `c-${customer}`,
    value: serde.encode(transactionSchema, {
      transaction_id: transactionId,
      event_time: eventTime,
      customer_id: `c-${customer}`,
      terminal_id: `t-${terminal}`,
      amount: Math.round(next() * 20_000) / 100,
      currency: 'EUR',
    }),
  });
  const delay = BACKLOG.labelDelayMinMs + Math.floor(next() * (BACKLOG.labelDelayMaxMs - BACKLOG.labelDelayMinMs));
  labels.push({ transactionId, fraud: next() < BACKLOG.fraudRate, reportedAt: eventTime + delay });
  if (transactions.length === 5_000) await send(topology.topics.input, transactions);
}
await send(topology.topics.input, transactions);

labels.sort((a, b) => a.reportedAt - b.reportedAt);
const labelMessages: Message[] = [];
for (const label of labels) {
  labelMessages.push({
    key: label.transactionId,
    value: serde.encode(labelSchema, {
      transaction_id: label.transactionId,
      is_fraud: label.fraud,
      reported_at: label.reportedAt,
    }),
  });
  if (labelMessages.length === 5_000) await send(topology.topics.labels, labelMessages);
}
await send(topology.topics.labels, labelMessages);
await producer.disconnect();
process.stdout.write(`produced ${count} transactions and ${labels.length} labels\n`);
