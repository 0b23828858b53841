/**
 * Child process of the throughput benchmark: fills the input topic before the pipeline starts, so the pipeline's
 * RSS and CPU are measured alone. Usage: node dist/load-tests/produce-events.js <topology.yaml> <count>
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { loadTopology, registryConnection } from '../src/config/index.js';
import { createAvroSerde } from '../src/adapters/registry/serde.js';
import { readContractSchema } from '../src/adapters/registry/contract-schemas.js';

const [file, countText] = process.argv.slice(2);
if (!file || !countText) throw new Error('usage: produce-events <topology.yaml> <count>');
const topology = loadTopology(file);
const count = Number(countText);
const serde = createAvroSerde(registryConnection(topology));
const schemaId = await serde.register(`${topology.topics.input}-value`, readContractSchema('transaction'));
const kafka = new Kafka({
  clientId: 'fraudscore-load',
  brokers: [...topology.kafka.brokers],
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
await producer.connect();
const start = Date.UTC(2026, 0, 5);
const customers = 20_000;
const terminals = 5_000;
const spanMs = 30 * 86_400_000;
let sent = 0;
while (sent < count) {
  const messages = [];
  for (let i = 0; i < 5000 && sent < count; i++, sent++) {
    const customer = `c-${(sent * 7919) % customers}`;
    messages.push({
      key: customer,
      value: serde.encode(schemaId, {
        transaction_id: `load-${sent}`,
        event_time: start + Math.floor((sent * spanMs) / count),
        customer_id: customer,
        terminal_id: `t-${(sent * 104_729) % terminals}`,
        amount: ((sent * 37) % 30_000) / 100,
        currency: 'EUR',
      }),
    });
  }
  await producer.send({ topic: topology.topics.input, acks: -1, messages });
}
await producer.disconnect();
process.stdout.write(`produced ${sent}\n`);
