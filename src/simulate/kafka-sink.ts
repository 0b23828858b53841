import { Kafka, Partitioners, type Message, type Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectDirectly, type Connecting } from '../config/index.js';
import { createLogger, type Logger } from '../adapters/observability/logger.js';
import { createAvroSerde, type AvroSerde } from '../adapters/registry/serde.js';
import {
  DAY_MS,
  SummaryAccumulator,
  resolveSimulationOptions,
  simulate,
  toLabelRecord,
  toTransactionRecord,
  type SimulatedRecord,
  type SimulationOptions,
  type SimulationSummary,
} from '../core/simulate/index.js';
import { hostileBytes } from './hostile-bytes.js';
import { simulatorKafkaConfig, subjectFor, type SimulatorKafkaSettings } from './kafka-settings.js';
import { ProgressCounter, type ProgressListener } from './progress.js';
import { findSchemaDir, readContractSchema } from '../adapters/registry/contract-schemas.js';
import { TokenBucket } from './token-bucket.js';
import { prepareTopics, timestampProblem } from './topics.js';

export interface SimulateToKafkaOptions {
  readonly kafka: SimulatorKafkaSettings;
  readonly simulation?: Partial<SimulationOptions>;
  /** Messages (transactions + labels + hostile) per produce request. */
  readonly batchSize?: number;
  /** Input-topic records per second (transactions and hostile records); labels follow at their own pace. 0 = unpaced. */
  readonly ratePerSecond?: number;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /** Where transaction.avsc and label.avsc live; found by walking up from this module when omitted. */
  readonly schemaDir?: string;
  /** Wall clock (epoch ms) for the topic timestamp checks; injectable for tests. */
  readonly now?: () => number;
  /** Where the Kafka client's warnings go; default stderr (stdout may carry the summary). */
  readonly log?: Logger;
  /**
   * Wraps each step that connects (registering the schemas, preparing the topics, the producer): given a topology's
   * (runtime/startup-errors.ts: connectingFor), a failure is explained naming its field and the fix, as for a worker.
   */
  readonly connecting?: Connecting;
}

export interface SimulateToKafkaResult {
  readonly summary: SimulationSummary;
  readonly options: SimulationOptions;
  readonly transactionSchemaId: number;
  readonly labelSchemaId: number;
  readonly createdTopics: readonly string[];
  /** Kafka messages sent: transactions + hostile records on the input topic, labels on the labels topic. */
  readonly inputMessages: number;
  readonly labelMessages: number;
}

/** 1,000 messages a request: large enough to amortise the round trip, small enough to keep requests well under 1 MB. */
const DEFAULT_BATCH_SIZE = 1_000;
/** With pacing, at most this much of a second's worth of records may go out at once after a pause. */
const BURST_SECONDS = 0.1;
/** Marks a deliberately broken record, so that dead letters can be traced to the defect that was injected. */
export const HOSTILE_KIND_HEADER = 'fraudscore-simulated-defect';

interface Pending {
  input: Message[];
  labels: Message[];
}

/** Produces a simulation to Kafka: transactions (and hostile records) keyed by customer, labels keyed by transaction. */
export async function simulateToKafka(options: SimulateToKafkaOptions): Promise<SimulateToKafkaResult> {
  const simulation = resolveSimulationOptions(options.simulation);
  const settings = options.kafka;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const now = options.now ?? Date.now;
  const connecting = options.connecting ?? connectDirectly;
  const serde = createAvroSerde(settings.registry);
  const schemaDir = options.schemaDir ?? findSchemaDir();
  const transactionSchemaId = await connecting('registry', () =>
    serde.register(subjectFor(settings.transactionsTopic), readContractSchema('transaction', schemaDir)),
  );
  const labelSchemaId = await connecting('registry', () =>
    serde.register(subjectFor(settings.labelsTopic), readContractSchema('label', schemaDir)),
  );

  const log = options.log ?? createLogger({ name: settings.clientId, level: 'warn', destination: process.stderr });
  const kafka = new Kafka(simulatorKafkaConfig(settings, log));
  const createdTopics = await connecting('kafka', () => checkTopics(kafka, settings, simulation, now()));
  // Idempotent with one request in flight: retries can neither duplicate nor reorder records within a partition.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await connecting('kafka', () => producer.connect());
  try {
    const summary = new SummaryAccumulator();
    const progress = new ProgressCounter(options.onProgress);
    const pending: Pending = { input: [], labels: [] };
    const rate = options.ratePerSecond ?? 0;
    const bucket = rate > 0 ? new TokenBucket(rate, Math.max(1, rate * BURST_SECONDS), performance.now()) : null;
    let inputMessages = 0;
    let labelMessages = 0;
    const flush = async (): Promise<void> => {
      inputMessages += pending.input.length;
      labelMessages += pending.labels.length;
      await send(producer, settings, pending);
    };

    for (const record of simulate(simulation)) {
      options.signal?.throwIfAborted();
      summary.add(record);
      progress.count(record);
      if (bucket && record.kind !== 'label') {
        const waitMs = bucket.take(1, performance.now());
        if (waitMs > 0) {
          // Send what is ready before sleeping, so paced records reach the topic at the pace, not in late batches.
          await flush();
          await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : undefined);
        }
      }
      toMessage(record, serde, transactionSchemaId, labelSchemaId, pending);
      if (pending.input.length + pending.labels.length >= batchSize) await flush();
    }
    await flush();
    progress.report();
    return {
      summary: summary.result(),
      options: simulation,
      transactionSchemaId,
      labelSchemaId,
      createdTopics,
      inputMessages,
      labelMessages,
    };
  } finally {
    await producer.disconnect();
  }
}

function toMessage(
  record: SimulatedRecord,
  serde: AvroSerde,
  transactionSchemaId: number,
  labelSchemaId: number,
  pending: Pending,
): void {
  switch (record.kind) {
    case 'transaction': {
      const e = record.event;
      pending.input.push({
        key: e.customerId,
        value: serde.encode(transactionSchemaId, toTransactionRecord(e)),
        timestamp: String(e.eventTimeMs),
      });
      return;
    }
    case 'label': {
      const l = record.label;
      pending.labels.push({
        key: l.transactionId,
        value: serde.encode(labelSchemaId, toLabelRecord(l)),
        timestamp: String(l.reportedAtMs),
      });
      return;
    }
    case 'hostile': {
      const h = record.record;
      pending.input.push({
        key: h.id,
        value: hostileBytes(h, serde, transactionSchemaId),
        timestamp: String(h.recordTimeMs),
        headers: { [HOSTILE_KIND_HEADER]: h.kind },
      });
      return;
    }
  }
}

async function send(producer: Producer, settings: SimulatorKafkaSettings, pending: Pending): Promise<void> {
  const topicMessages = [
    { topic: settings.transactionsTopic, messages: pending.input },
    { topic: settings.labelsTopic, messages: pending.labels },
  ].filter((t) => t.messages.length > 0);
  pending.input = [];
  pending.labels = [];
  if (topicMessages.length === 0) return;
  await producer.sendBatch({ acks: -1, topicMessages });
}

/** Creates missing topics and fails before producing anything if a topic would drop or reject simulated timestamps. */
async function checkTopics(
  kafka: Kafka,
  settings: SimulatorKafkaSettings,
  simulation: SimulationOptions,
  nowMs: number,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { created, policies } = await prepareTopics(
      admin,
      [settings.transactionsTopic, settings.labelsTopic],
      settings.partitions,
    );
    const span = {
      firstMs: simulation.startMs,
      lastMs: simulation.startMs + simulation.days * DAY_MS + simulation.labelDelayMaxMs,
    };
    const problems = policies.map((p) => timestampProblem(p, span, nowMs)).filter((p) => p !== null);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return created;
  } finally {
    await admin.disconnect();
  }
}
