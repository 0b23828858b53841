import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Topology } from '../config/index.js';
import { registryConnection } from '../config/index.js';
import { createAvroSerde } from '../adapters/registry/serde.js';
import { readContractSchema } from '../adapters/registry/contract-schemas.js';
import { connecting } from '../runtime/startup-errors.js';
import { scoreViewOf, type LabelView, type ScoreView } from '../core/control/evidence.js';
import { foldLabelReport, type LabelClock } from '../core/monitoring/index.js';

export interface ScoreStreams {
  readonly scores: ScoreView[];
  /** Every report of each transaction folded, by transaction id (labelOf reads them). */
  readonly labels: Map<string, LabelView>;
  /**
   * The latest event time (output) or report time (labels) read: the evaluator's stream time once it has read both
   * topics to their end. Unlike the evaluator it does not hold back for a partition read behind the others.
   */
  streamTimeMs: number;
}

/** The clock the gates and the shadow report read these labels against (the evaluator's horizon). */
export function labelClock(topology: Topology, streams: ScoreStreams, nowMs: number): LabelClock {
  return { horizonDays: topology.monitoring.evaluation.horizonDays, streamTimeMs: streams.streamTimeMs, nowMs };
}

/**
 * Follows the output and labels topics of a topology as a downstream read_committed consumer does (a group of its
 * own, never committing), keeping the compact views the rollout gates and the shadow report need.
 */
export class ScoreFollower {
  readonly streams: ScoreStreams = { scores: [], labels: new Map(), streamTimeMs: Number.NEGATIVE_INFINITY };
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
    // Read as the contract's schemas, as the evaluator reads them: a score or label written with an older or newer
    // schema reads with the fields this code knows (defaults filled in), never as whatever its writer had.
    const readers = { score: readContractSchema('score'), label: readContractSchema('label') };
    const consumer = this.kafka.consumer({
      groupId: `fraudscore.score-reader.${randomBytes(6).toString('hex')}`,
      readUncommitted: false,
      maxWaitTimeInMs: 250,
    });
    this.consumer = consumer;
    await connecting('kafka', this.topology, async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [output, labels], fromBeginning: true });
    });
    const sinceMs = this.options.sinceMs ?? 0;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        this.lastMessageAtMs = Date.now();
        await serde.prepare(batch.messages.map((m) => m.value));
        for (const message of batch.messages) {
          const decoded = serde.decodeSync(message.value, batch.topic === output ? readers.score : readers.label);
          if (!decoded.ok) continue;
          if (batch.topic === output) {
            const view = scoreViewOf(decoded.value, message.key?.toString() ?? null);
            if (!view) continue;
            this.advanceStreamTime(view.eventTimeMs);
            if (view.scoredAtMs >= sinceMs) this.streams.scores.push(view);
          } else {
            const id = decoded.value['transaction_id'];
            if (typeof id === 'string') {
              const reportedAtMs = Number(decoded.value['reported_at'] ?? 0);
              this.advanceStreamTime(reportedAtMs);
              const report = { isFraud: decoded.value['is_fraud'] === true, reportedAtMs };
              this.streams.labels.set(id, foldLabelReport(this.streams.labels.get(id), report));
            }
          }
        }
        this.lastMessageAtMs = Date.now();
      },
    });
  }

  private advanceStreamTime(ms: number): void {
    // A record without a usable time says nothing about how far the stream has come (and NaN would stick).
    if (Number.isFinite(ms)) this.streams.streamTimeMs = Math.max(this.streams.streamTimeMs, ms);
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
