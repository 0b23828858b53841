import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Topology } from '../config/index.js';
import { registryConnection } from '../config/index.js';
import { createAvroSerde } from '../adapters/registry/serde.js';
import { readContractSchema } from '../adapters/registry/contract-schemas.js';
import { connecting } from '../runtime/startup-errors.js';
import {
  ConsumerReruns,
  readerStopped,
  warnOfRerun,
  type ReaderStoppedError,
} from '../adapters/kafka/consumer-give-up.js';
import { ReadPositions } from '../adapters/kafka/read-positions.js';
import type { Logger } from '../adapters/observability/logger.js';
import { onBatchWithoutRecords, partitionKey, partitionsAtStart } from '../adapters/kafka/stream-partitions.js';
import { scoreViewOf, type ScoreRetention, type ScoreView } from '../core/control/evidence.js';
import { ScoreStreams, type LabelReport } from '../core/control/score-streams.js';
import type { LabelClock } from '../core/monitoring/index.js';

export { ScoreStreams } from '../core/control/score-streams.js';

/** The clock the gates and the shadow report read these labels against (the evaluator's horizon). */
export function labelClock(topology: Topology, streams: ScoreStreams, nowMs: number): LabelClock {
  return { horizonDays: topology.monitoring.evaluation.horizonDays, streamTimeMs: streams.streamTimeMs, nowMs };
}

/**
 * The output or labels topic does not exist: kafkajs would only say "This server does not host this topic-partition"
 * when subscribing.
 */
export class TopicsMissingError extends Error {
  constructor(
    topology: Topology,
    readonly roles: readonly ('output' | 'labels')[],
  ) {
    const named = roles.map((role) => `${topology.topics[role]} (topics.${role})`).join(' and ');
    super(
      `${named} ${roles.length === 1 ? 'does' : 'do'} not exist: no worker of topology ${topology.name} has started ` +
        'yet (a worker creates its topics at start-up), or the topology names topics its workers do not use; the ' +
        'gates and the shadow report read the scores and labels there',
    );
    this.name = 'TopicsMissingError';
  }
}

export interface ScoreFollowerOptions {
  /** What the streams keep (default: everything read). */
  readonly retention?: ScoreRetention;
  /** Told of each time the reader is run again after kafkajs stopped it for want of its coordinator. */
  readonly log?: Pick<Logger, 'warn'>;
}

/**
 * Follows the output and labels topics of a topology as a downstream read_committed consumer does (a group of its
 * own, never committing), keeping what the rollout gates and the shadow report need (ScoreStreams: the scores the
 * retention asks for, and the labels of their transactions). A reader that follows for long states what it needs as
 * it goes (`streams.retain`), as the rollout controller does for the live stage.
 */
export class ScoreFollower {
  readonly streams: ScoreStreams;
  private consumer: Consumer | undefined;
  /** Set once started: how the reader is run again after kafkajs stopped it for want of its coordinator. */
  private reruns: ConsumerReruns | undefined;
  /** A rejoin reads the topics from the beginning again (no offsets committed): each record is read once. */
  private readonly positions = new ReadPositions();
  private lastMessageAtMs = 0;
  /** When the reader last ran again after a lost coordinator. */
  private rejoinedAtMs: number | undefined;
  private reportStopped!: (error: ReaderStoppedError) => void;
  /** Resolves if kafkajs gives this reader up for good (consumer-give-up.ts): no further score or label arrives. */
  readonly failed = new Promise<ReaderStoppedError>((resolve) => (this.reportStopped = resolve));

  constructor(
    private readonly topology: Topology,
    private readonly kafka: Kafka,
    private readonly options: ScoreFollowerOptions = {},
  ) {
    this.streams = new ScoreStreams({
      horizonDays: topology.monitoring.evaluation.horizonDays,
      ...(options.retention ? { retention: options.retention } : {}),
    });
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
    const reader = `the reader of ${output} and ${labels}`;
    this.reruns = new ConsumerReruns(
      async () => {
        await run();
        // Quiet is counted from the rejoin: settle must not take the wait before it for the end of the topics.
        this.lastMessageAtMs = this.rejoinedAtMs = Date.now();
      },
      warnOfRerun(this.options.log, reader),
    );
    void readerStopped(
      consumer,
      reader,
      'the gates and reports would be judged on scores and labels that no longer arrive',
      this.reruns,
    ).then(this.reportStopped);
    // Stream time holds back for every partition that has records to read, as the evaluator's does.
    const found = new Set<string>();
    await connecting('kafka', this.topology, async () => {
      for (const { topic, key, hasRecords } of await partitionsAtStart(this.kafka, [output, labels])) {
        found.add(topic);
        this.streams.expectPartition(topic === output ? 'output' : 'labels', key, hasRecords);
      }
    });
    const missing = (['output', 'labels'] as const).filter((role) => !found.has(this.topology.topics[role]));
    if (missing.length > 0) throw new TopicsMissingError(this.topology, missing);
    onBatchWithoutRecords(consumer, (topic, partition, atEnd) => {
      const key = partitionKey(topic, partition);
      if (topic === output) this.streams.readScores(key, [], atEnd, Date.now());
      else this.streams.readLabels(key, [], atEnd, Date.now());
    });
    await connecting('kafka', this.topology, async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [output, labels], fromBeginning: true });
    });
    const run = (): Promise<void> =>
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          this.lastMessageAtMs = Date.now();
          // offsetLag counts a trailing transaction marker as read (runner.ts relies on the same).
          const key = partitionKey(batch.topic, batch.partition);
          const messages = this.positions.unread(key, batch.messages);
          await serde.prepare(messages.map((m) => m.value));
          const isOutput = batch.topic === output;
          const scores: ScoreView[] = [];
          const reports: LabelReport[] = [];
          for (const message of messages) {
            const decoded = serde.decodeSync(message.value, isOutput ? readers.score : readers.label);
            if (!decoded.ok) continue;
            if (isOutput) {
              const view = scoreViewOf(decoded.value, message.key?.toString() ?? null);
              if (view) scores.push(view);
            } else {
              const id = decoded.value['transaction_id'];
              if (typeof id === 'string') {
                const reportedAtMs = Number(decoded.value['reported_at'] ?? 0);
                reports.push({ transactionId: id, isFraud: decoded.value['is_fraud'] === true, reportedAtMs });
              }
            }
          }
          this.positions.read(key, messages);
          const atEnd = batch.offsetLag() === '0';
          if (isOutput) this.streams.readScores(key, scores, atEnd, Date.now());
          else this.streams.readLabels(key, reports, atEnd, Date.now());
          this.lastMessageAtMs = Date.now();
        },
      });
    await run();
  }

  /**
   * Resolves once nothing new has arrived for `quietMs` (the end of the topics as they are now); never while the
   * reader is stopped and waiting to run again (a lost coordinator), when silence says nothing of the topics.
   */
  async settle(quietMs = 2_000, timeoutMs = 120_000): Promise<void> {
    const started = Date.now();
    this.lastMessageAtMs ||= started;
    while (this.reruns?.pending() === true || Date.now() - this.lastMessageAtMs < quietMs) {
      if (Date.now() - started > timeoutMs) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const sinceRejoinMs = this.rejoinedAtMs === undefined ? Infinity : Date.now() - this.rejoinedAtMs;
    if (this.reruns?.pending() === true || sinceRejoinMs < quietMs) {
      // What was read so far is not the topics to their end: judged on it, a gate or a report would be wrong.
      throw new Error(
        `the reader of ${this.topology.topics.output} and ${this.topology.topics.labels} lost its group coordinator ` +
          `and has not read to the end again within ${timeoutMs / 1000} s (no broker answered, or this client may ` +
          'not use its group: an ACL); run the command again once the brokers answer',
      );
    }
  }

  async stop(): Promise<void> {
    await this.reruns?.stop();
    await this.consumer?.disconnect();
  }
}

/** Reads the output and labels topics to their current end. */
export async function readScoreStreams(
  topology: Topology,
  kafka: Kafka,
  options: ScoreFollowerOptions = {},
): Promise<ScoreStreams> {
  const follower = new ScoreFollower(topology, kafka, options);
  try {
    await follower.start();
    const stopped = await Promise.race([follower.settle().then(() => undefined), follower.failed]);
    if (stopped) throw stopped;
    return follower.streams;
  } finally {
    await follower.stop();
  }
}
