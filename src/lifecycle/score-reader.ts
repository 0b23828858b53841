import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Topology } from '../config/index.js';
import { registryConnection } from '../config/index.js';
import { createAvroSerde } from '../adapters/registry/serde.js';
import { readContractSchema } from '../adapters/registry/contract-schemas.js';
import { connecting } from '../runtime/startup-errors.js';
import { onBatchWithoutRecords, partitionKey, partitionsWithRecords } from '../adapters/kafka/stream-partitions.js';
import { scoreViewOf } from '../core/control/evidence.js';
import { ScoreStreams, type StreamRecord } from '../core/control/score-streams.js';
import type { LabelClock } from '../core/monitoring/index.js';

export { ScoreStreams } from '../core/control/score-streams.js';

/** The clock the gates and the shadow report read these labels against (the evaluator's horizon). */
export function labelClock(topology: Topology, streams: ScoreStreams, nowMs: number): LabelClock {
  return { horizonDays: topology.monitoring.evaluation.horizonDays, streamTimeMs: streams.streamTimeMs, nowMs };
}

/**
 * Follows the output and labels topics of a topology as a downstream read_committed consumer does (a group of its
 * own, never committing), keeping the compact views the rollout gates and the shadow report need.
 */
export class ScoreFollower {
  readonly streams: ScoreStreams;
  private consumer: Consumer | undefined;
  private lastMessageAtMs = 0;

  constructor(
    private readonly topology: Topology,
    private readonly kafka: Kafka,
    options: { readonly sinceMs?: number } = {},
  ) {
    this.streams = new ScoreStreams(options);
  }

  async start(): Promise<void> {
    const serde = createAvroSerde(registryConnection(this.topology));
    const { output, labels } = this.topology.topics;
    // Read as the contract's schemas, as the evaluator reads them: a score or label written with an older or newer
    // schema reads with the fields this code knows (defaults filled in), never as whatever its writer had.
    const readers = { score: readContractSchema('score'), label: readContractSchema('label') };
    const consumer = this.kafka.consumer({
      groupId: `fraudscore.score-reader.${randomBytes(6).toString('hex')}`,
      readUncommitted: false,
      maxWaitTimeInMs: 250,
    });
    this.consumer = consumer;
    // Stream time holds back for every partition that has records to read, as the evaluator's does.
    await connecting('kafka', this.topology, async () => {
      for (const [partition, hasRecords] of await partitionsWithRecords(this.kafka, [output, labels])) {
        this.streams.expectPartition(partition, hasRecords);
      }
    });
    onBatchWithoutRecords(consumer, (partition, atEnd) => this.streams.read(partition, [], atEnd));
    await connecting('kafka', this.topology, async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [output, labels], fromBeginning: true });
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        this.lastMessageAtMs = Date.now();
        await serde.prepare(batch.messages.map((m) => m.value));
        const records: StreamRecord[] = [];
        for (const message of batch.messages) {
          const decoded = serde.decodeSync(message.value, batch.topic === output ? readers.score : readers.label);
          if (!decoded.ok) continue;
          if (batch.topic === output) {
            const view = scoreViewOf(decoded.value, message.key?.toString() ?? null);
            if (view) records.push({ kind: 'score', view });
          } else {
            const id = decoded.value['transaction_id'];
            if (typeof id === 'string') {
              const reportedAtMs = Number(decoded.value['reported_at'] ?? 0);
              records.push({
                kind: 'label',
                transactionId: id,
                isFraud: decoded.value['is_fraud'] === true,
                reportedAtMs,
              });
            }
          }
        }
        // offsetLag counts a trailing transaction marker as read (runner.ts relies on the same).
        this.streams.read(partitionKey(batch.topic, batch.partition), records, batch.offsetLag() === '0');
        this.lastMessageAtMs = Date.now();
      },
    });
  }

  /** Resolves once nothing new has arrived for `quietMs` (the end of the topics as they are now). */
  async settle(quietMs = 2_000, timeoutMs = 120_000): Promise<void> {
    const started = Date.now();
    this.lastMessageAtMs ||= started;
    while (Date.now() - this.lastMessageAtMs < quietMs) {
      if (Date.now() - started > timeoutMs) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** Reads the output and labels topics to their current end. */
export async function readScoreStreams(
  topology: Topology,
  kafka: Kafka,
  options: { readonly sinceMs?: number } = {},
): Promise<ScoreStreams> {
  const follower = new ScoreFollower(topology, kafka, options);
  try {
    await follower.start();
    await follower.settle();
    return follower.streams;
  } finally {
    await follower.stop();
  }
}
