import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Topology } from '../config/index.js';
import { registryConnection } from '../config/index.js';
import { createAvroSerde } from '../adapters/registry/serde.js';
import { scoreViewOf, type LabelView, type ScoreView } from '../core/control/evidence.js';

export interface ScoreStreams {
  readonly scores: ScoreView[];
  /** Matured labels by transaction id (the latest report of each). */
  readonly labels: Map<string, LabelView>;
}

/**
 * Follows the output and labels topics of a topology as a downstream read_committed consumer does (a group of its
 * own, never committing), keeping the compact views the rollout gates and the shadow report need.
 */
export class ScoreFollower {
  readonly streams: ScoreStreams = { scores: [], labels: new Map() };
  private consumer: Consumer | undefined;
  private lastMessageAtMs = 0;

  constructor(
    private readonly topology: Topology,
    private readonly kafka: Kafka,
    private readonly options: { readonly sinceMs?: number } = {},
  ) {}

  async start(): Promise<void> {
    const serde = createAvroSerde(registryConnection(this.topology));
    const { output, labels } = this.topology.topics;
    const consumer = this.kafka.consumer({
      groupId: `fraudscore.score-reader.${randomBytes(6).toString('hex')}`,
      readUncommitted: false,
      maxWaitTimeInMs: 250,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [output, labels], fromBeginning: true });
    const sinceMs = this.options.sinceMs ?? 0;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        this.lastMessageAtMs = Date.now();
        await serde.prepare(batch.messages.map((m) => m.value));
        for (const message of batch.messages) {
          const decoded = serde.decodeSync(message.value);
          if (!decoded.ok) continue;
          if (batch.topic === output) {
            const view = scoreViewOf(decoded.value, message.key?.toString() ?? null);
            if (view && view.scoredAtMs >= sinceMs) this.streams.scores.push(view);
          } else {
            const id = decoded.value['transaction_id'];
            if (typeof id === 'string') {
              this.streams.labels.set(id, {
                fraud: decoded.value['is_fraud'] === true,
                reportedAtMs: Number(decoded.value['reported_at'] ?? 0),
              });
            }
          }
        }
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
