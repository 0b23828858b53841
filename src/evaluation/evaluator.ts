import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Gauge } from 'prom-client';
import { registryConnection, type Topology } from '../config/index.js';
import { createKafka } from '../adapters/kafka/kafka-client.js';
import {
  ConsumerReruns,
  readerStopped,
  warnOfRerun,
  type ReaderStoppedError,
} from '../adapters/kafka/consumer-give-up.js';
import { ReadPositions } from '../adapters/kafka/read-positions.js';
import { ensureTopics } from '../adapters/kafka/topics.js';
import { onBatchWithoutRecords, partitionKey, partitionsAtStart } from '../adapters/kafka/stream-partitions.js';
import { openFsRegistry } from '../adapters/model-registry/index.js';
import type { Logger } from '../adapters/observability/logger.js';
import type { EvaluatorMetrics } from '../adapters/observability/metrics.js';
import { readContractSchema } from '../adapters/registry/contract-schemas.js';
import { createAvroSerde, type AvroSerde } from '../adapters/registry/serde.js';
import {
  DelayedLabelJoin,
  evaluationWatermarkMs,
  type LiveMetrics,
  type MaturedDay,
} from '../core/monitoring/evaluation.js';
import { StreamTime } from '../core/monitoring/stream-time.js';
import { TransactionContract } from '../core/contract/validate-transaction.js';
import { readerSilence } from '../core/monitoring/reader-silence.js';
import { formatModelRef } from '../core/models/ref.js';
import { liveMetricValues, type Decision } from '../core/monitoring/eval-metrics.js';
import {
  compareWithExpectation,
  EXPECTED_METRICS,
  isMismatch,
  type Comparison,
} from '../core/monitoring/expectations.js';
import type { Expectation } from '../core/monitoring/reference.js';
import type { ModelCard } from '../core/models/card.js';
import { connecting } from '../runtime/startup-errors.js';

const DAY_MS = 86_400_000;

/**
 * How long after a failed model-card lookup (the registry unreadable, the model not registered yet) the evaluator
 * asks again: soon enough that a card that becomes readable is used within a minute, seldom enough that a model
 * with no card does not flood the log (its status is asked at every publication).
 */
export const CARD_LOOKUP_RETRY_MS = 60_000;

/**
 * How far ahead of the evaluator's clock a record's time (a score's event time, a label's report time) may be and
 * still move stream time: the contract's allowance for a transaction's event time, 24 h. Past it the time is a
 * mis-dated record (a report time in microseconds, a clock a year off), which would finalise every open day at once.
 */
export const STREAM_TIME_FUTURE_SKEW_MS = TransactionContract.maxFutureSkewMs;

export interface EvaluatorOptions {
  readonly topology: Topology;
  readonly log: Logger;
  readonly metrics: EvaluatorMetrics;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with the days that matured after each fetched batch (the CLI rewrites the report then). */
  readonly onMatured?: (days: readonly MaturedDay[]) => void;
  /**
   * The clock a failed model-card lookup is retried by, stream time's skew allowance is counted from, and no day is
   * final before (default Date.now).
   */
  readonly clock?: () => number;
}

/** The evaluator's view of one model's live figures against its own card. */
export interface ModelStatus {
  /** `name@version`, as the scores name the model. */
  readonly model: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly days: readonly number[];
  readonly values: Readonly<Record<string, number>>;
  readonly labelled: number;
  readonly comparisons: readonly Comparison[];
}

/**
 * `fraudscore evaluate`: joins the output topic (logged predictions) with the labels topic by transaction id and
 * evaluates each scoring day once its labels have matured (core/monitoring/evaluation.ts).
 *
 * Restart semantics: the evaluator commits no offsets at all. Its consumer group never has committed offsets, so every
 * start reads both topics from the beginning of their retention and rebuilds the join; what it reports (gauges, the
 * report files) is a function of the topics' contents up to its watermark, so a restart recomputes the same figures
 * and never counts a record twice. Run one instance per topology (the join needs every partition).
 *
 * Watermark: a day is final when both stream time and the evaluator's clock have passed its end by the horizon plus
 * the label delivery grace (core/monitoring/evaluation.ts evaluationWatermarkMs; the rollout gate bounds stream time by
 * the clock alike). Stream time is the lowest of the latest event time (predictions) or report time (labels) seen on
 * each partition that is not read to its end -- so a partition delivered days ahead of another (Kafka hands out
 * backlogs in chunks) cannot finalise a day whose predictions are still unread -- and the latest time seen once every
 * partition is read to its end (core/monitoring/stream-time.ts, shared with the rollout's score follower). Read live,
 * that latest time may be a record dated ahead of the clock (the contract allows 24 h), which a restart reads before
 * the day's later reports; the clock keeps it from finalising a day early. A fraud report made by its day's final
 * instant and delivered within the grace is read before the day is final, live (the clock has not passed the grace)
 * as after a restart (the labels partition holds stream time back until it is read), so both count it. A time more
 * than STREAM_TIME_FUTURE_SKEW_MS ahead of the evaluator's clock does not move stream time (logged): one mis-dated
 * label would otherwise push it ahead for good, and again at every start, as the topics are reread.
 */
export class Evaluator {
  readonly join: DelayedLabelJoin;
  private readonly kafka: Kafka;
  private readonly serde: AvroSerde;
  private consumer: Consumer | undefined;
  /** Set once started: how the reader is run again after kafkajs stopped it for want of its coordinator. */
  private reruns: ConsumerReruns | undefined;
  /** A rejoin reads the topics from the beginning again (no offsets committed): each record is joined once. */
  private readonly positions = new ReadPositions();
  private readonly streamTime = new StreamTime({ latestPlausibleMs: () => this.now() + STREAM_TIME_FUTURE_SKEW_MS });
  /** Records decoded from each topic since start: what a report with nothing to show says it read. */
  private readonly read = { scores: 0, labels: 0 };
  /** By `name@version`: a version number alone names a different card under each model name. Found cards only. */
  private readonly cards = new Map<string, ModelCard>();
  /** By `name@version`: when its card lookup last failed (retried CARD_LOOKUP_RETRY_MS later). */
  private readonly cardFailedAtMs = new Map<string, number>();
  /** Models (`name@version`) whose series the last publish set: one missing from the live figures since loses them. */
  private readonly published = new Set<string>();
  private caughtUpResolve!: () => void;
  /** Resolves once every partition that had records at start has been read to its end. */
  readonly caughtUp = new Promise<void>((resolve) => (this.caughtUpResolve = resolve));
  /** When its reader last completed a fetch (before the first: when the evaluator was made). */
  private lastFetchAtMs = Date.now();
  private reportStopped!: (error: ReaderStoppedError) => void;
  /** Resolves if kafkajs gives the evaluator's reader up for good (consumer-give-up.ts): its figures would freeze. */
  readonly failed = new Promise<ReaderStoppedError>((resolve) => (this.reportStopped = resolve));

  constructor(private readonly options: EvaluatorOptions) {
    const { topology } = options;
    // Validation guarantees horizonDays > features.labelDelayDays (topology-schema.ts: evaluationHorizonProblem).
    const { horizonDays, windowDays } = topology.monitoring.evaluation;
    this.join = new DelayedLabelJoin({ horizonDays, windowDays });
    this.kafka = createKafka(topology, options.log, options.env ?? process.env);
    this.serde = createAvroSerde(registryConnection(topology, options.env ?? process.env));
  }

  /** Connects and starts reading; a connection failure is explained as a worker's is (the field and the fix). */
  async start(): Promise<void> {
    const { topology } = this.options;
    const topics = [topology.topics.output, topology.topics.labels];
    // As the worker does at start-up (a local-stack convenience): the evaluator may start before the first score.
    await connecting('kafka', topology, () =>
      ensureTopics(this.kafka, topics, topology.topics.partitions, [topology.topics.labels]),
    );
    await connecting('kafka', topology, async () => {
      for (const { key, hasRecords } of await partitionsAtStart(this.kafka, topics)) {
        this.streamTime.expect(key, hasRecords);
      }
    });
    this.checkCaughtUp();
    const consumer = this.kafka.consumer({
      groupId: `${topology.consumerGroup}.evaluator`,
      readUncommitted: false,
      maxWaitTimeInMs: 500,
    });
    this.consumer = consumer;
    const reader = `the evaluator's reader of ${topics.join(' and ')}`;
    const run = (): Promise<void> =>
      consumer.run({
        // Never commits: see the class comment. kafkajs then starts every run from the beginning.
        autoCommit: false,
        eachBatch: (payload) => this.onBatch(payload),
      });
    this.reruns = new ConsumerReruns(run, warnOfRerun(this.options.log, reader));
    void readerStopped(
      consumer,
      reader,
      'no further day is evaluated and its figures stay where they are',
      this.reruns,
    ).then(this.reportStopped);
    consumer.on(consumer.events.FETCH, () => (this.lastFetchAtMs = Date.now()));
    onBatchWithoutRecords(consumer, (topic, partition, atEnd) => {
      this.streamTime.read(partitionKey(topic, partition), [], atEnd);
      void this.progress().catch((error: unknown) =>
        this.options.log.warn({ err: (error as Error).message }, 'could not publish the matured days'),
      );
    });
    await connecting('kafka', topology, async () => {
      await consumer.connect();
      for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
      await run();
    });
  }

  async stop(): Promise<void> {
    await this.reruns?.stop();
    await this.consumer?.disconnect();
  }

  /** Why /healthz should fail: its reader has read nothing for 30 s (the topics deleted, the broker unreachable). */
  unreadyReason(nowMs = Date.now()): string | null {
    const { topics } = this.options.topology;
    return readerSilence(
      {
        name: `the evaluator's reader of ${topics.output} and ${topics.labels}`,
        consequence: 'no further day is evaluated and its figures stay where they are',
        lastFetchAtMs: this.lastFetchAtMs,
      },
      nowMs,
    );
  }

  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    const { topology } = this.options;
    const isLabel = batch.topic === topology.topics.labels;
    const reader = readContractSchema(isLabel ? 'label' : 'score');
    const key = partitionKey(batch.topic, batch.partition);
    const messages = this.positions.unread(key, batch.messages);
    await this.serde.prepare(messages.map((m) => m.value));
    const times: number[] = [];
    for (const message of messages) {
      const decoded = this.serde.decodeSync(message.value, reader);
      if (!decoded.ok) continue;
      const v = decoded.value;
      if (isLabel) {
        this.read.labels++;
        const reportedAtMs = Number(v['reported_at']);
        this.join.addLabel({
          transactionId: String(v['transaction_id']),
          isFraud: v['is_fraud'] === true,
          reportedAtMs,
        });
        times.push(reportedAtMs);
      } else {
        this.read.scores++;
        const eventTimeMs = Number(v['event_time']);
        const features = (v['features'] ?? {}) as Record<string, number>;
        this.join.addPrediction({
          transactionId: String(v['transaction_id']),
          eventTimeMs,
          score: Number(v['score']),
          decision: v['decision'] as Decision,
          modelName: String(v['model_name']),
          modelVersion: String(v['model_version']),
          customerId: message.key?.toString() ?? '',
          amount: Number(features['amount'] ?? 0),
        });
        times.push(eventTimeMs);
      }
    }
    // offsetLag counts a trailing transaction marker as read (runner.ts relies on the same). A record dated beyond
    // the clock's skew allowance is joined as any other (a report that late counts for no day) but leaves stream
    // time where it is.
    this.positions.read(key, messages);
    const implausible = this.streamTime.read(key, times, batch.offsetLag() === '0');
    if (implausible > 0) {
      this.options.log.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          records: implausible,
          skewAllowedMs: STREAM_TIME_FUTURE_SKEW_MS,
        },
        'records dated further ahead of the clock than allowed: joined, but they do not move stream time',
      );
    }
    this.options.metrics.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
    await this.progress();
  }

  /** Evaluates the days that stream time has made final, and publishes them. */
  private async progress(): Promise<void> {
    const fresh = this.join.advance(this.watermark());
    this.options.metrics.evalOpenDays.set(this.join.openDays().length);
    if (fresh.length > 0) {
      await this.publish();
      this.options.log.info(
        { days: fresh.map((d) => `${new Date(d.day * DAY_MS).toISOString().slice(0, 10)} ${d.model}`) },
        'scoring days matured',
      );
      this.options.onMatured?.(fresh);
    }
    this.checkCaughtUp();
  }

  /** How many score records and labels it has decoded since start (an undecodable record is not counted). */
  recordsRead(): { readonly scores: number; readonly labels: number } {
    return { ...this.read };
  }

  /** Stream time: see the class comment (minus infinity before anything is read). */
  streamTimeMs(): number {
    return this.streamTime.ms;
  }

  /** What days are final against: stream time, bounded by the clock, less the delivery grace (the class comment). */
  watermark(): number {
    return evaluationWatermarkMs({ streamTimeMs: this.streamTime.ms, nowMs: this.now() });
  }

  private checkCaughtUp(): void {
    if (this.streamTime.caughtUp()) this.caughtUpResolve();
  }

  /**
   * The live figures per model, each compared with the held-out expectation of its own card, allowing for the
   * sampling error of both (core/monitoring/expectations.ts compareWithExpectation).
   */
  async status(lives: ReadonlyMap<string, LiveMetrics> = this.join.live()): Promise<ModelStatus[]> {
    const out: ModelStatus[] = [];
    const minLabelled = this.options.topology.monitoring.evaluation.minLabelled;
    for (const [model, live] of lives) {
      const values = liveMetricValues(live.metrics);
      const se = live.standardErrors;
      const liveErrors: Record<string, number> = {
        auc: se.aucRoc,
        average_precision: se.averagePrecision,
        card_precision_at_100: se.cardPrecisionAt100,
      };
      const card = await this.cardOf(live.modelName, live.modelVersion);
      const expected: Readonly<Record<string, Expectation>> | undefined = card?.monitoring?.expectations;
      const test = card?.metrics.test;
      const pointEstimates: Record<string, number | null | undefined> = {
        auc: test?.aucRoc,
        average_precision: test?.averagePrecision,
        card_precision_at_100: test?.cardPrecisionAt100.mean,
      };
      const enough = live.metrics.records >= minLabelled;
      out.push({
        model,
        modelName: live.modelName,
        modelVersion: live.modelVersion,
        days: live.days,
        values,
        labelled: live.metrics.records,
        comparisons: EXPECTED_METRICS.map((metric) =>
          compareWithExpectation(
            metric,
            {
              value: enough ? (values[metric] ?? Number.NaN) : Number.NaN,
              standardError: liveErrors[metric] ?? Number.NaN,
            },
            expected?.[metric],
            pointEstimates[metric],
          ),
        ),
      });
    }
    return out;
  }

  /**
   * The card of the model the scores name (a challenger or a promoted model may not be the topology's model). A found
   * card is kept; a failed lookup gives null and is tried again once CARD_LOOKUP_RETRY_MS have passed.
   */
  private async cardOf(name: string, version: string): Promise<ModelCard | null> {
    const model = formatModelRef({ name, version });
    const known = this.cards.get(model);
    if (known) return known;
    const nowMs = this.now();
    const failedAtMs = this.cardFailedAtMs.get(model);
    if (failedAtMs !== undefined && nowMs - failedAtMs < CARD_LOOKUP_RETRY_MS) return null;
    const card = await openFsRegistry(this.options.topology.model.registry)
      .show(name, version)
      .then((shown) => shown.card)
      .catch((error: unknown) => {
        this.options.log.warn(
          { model, err: (error as Error).message, retryInMs: CARD_LOOKUP_RETRY_MS },
          'no card for this model',
        );
        return null;
      });
    if (!card) {
      this.cardFailedAtMs.set(model, nowMs);
      return null;
    }
    this.cardFailedAtMs.delete(model);
    if (!card.monitoring?.expectations) {
      this.options.log.info(
        { model },
        'model card has no held-out intervals (trained before them): live figures shown beside its point estimates',
      );
    }
    this.cards.set(model, card);
    return card;
  }

  private async publish(): Promise<void> {
    const { metrics } = this.options;
    const minLabelled = this.options.topology.monitoring.evaluation.minLabelled;
    // The live figures once (each is a pass over the days' rows with a sort or two), for the status and the gauges.
    const lives = this.join.live();
    for (const model of [...this.published].filter((m) => !lives.has(m))) {
      await this.removeSeriesOf(model);
      this.published.delete(model);
      this.options.log.info(
        { model },
        'evaluation series dropped: the model has no final day in the comparison window',
      );
    }
    for (const status of await this.status(lives)) {
      // The label keeps its name (dashboards and alert rules select on it) but holds name@version: two models may
      // share a version number, and their series must not overwrite each other.
      const modelLabel = { model_version: status.model };
      const live = lives.get(status.model);
      if (!live) continue;
      this.published.add(status.model);
      metrics.evalLabelled.set(modelLabel, status.labelled);
      const latestDay = status.days[status.days.length - 1];
      if (latestDay !== undefined) metrics.evalLatestMaturedDay.set(modelLabel, (latestDay * DAY_MS) / 1000);
      for (const [metric, value] of Object.entries(status.values)) {
        // Too few labelled records or an undefined figure (a single class): absent, not a number.
        if (status.labelled >= minLabelled && Number.isFinite(value)) {
          metrics.evalMetric.set({ ...modelLabel, metric }, value);
        } else metrics.evalMetric.remove({ ...modelLabel, metric });
      }
      for (const [decision, amount] of Object.entries(live.metrics.fraudAmount)) {
        metrics.evalFraudAmount.set({ ...modelLabel, decision }, amount);
      }
      metrics.evalFalseAlerts.set(modelLabel, live.metrics.falseAlerts);
      for (const comparison of status.comparisons) {
        if (comparison.status === 'no-expectation' || comparison.status === 'insufficient-data') {
          metrics.evalOfflineMismatch.remove({ ...modelLabel, metric: comparison.metric });
          continue;
        }
        metrics.evalOfflineMismatch.set({ ...modelLabel, metric: comparison.metric }, isMismatch(comparison) ? 1 : 0);
        if (isMismatch(comparison)) {
          this.options.log.warn(
            { model: status.model, ...comparison },
            'live metric differs from the card’s held-out figure beyond their combined sampling error',
          );
        }
      }
    }
  }

  /** The evaluator's clock: for the card lookup's retry, the latest time a record may move stream time, the watermark. */
  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  /** Removes every evaluator series of a model (`model_version` holds `name@version`). */
  private async removeSeriesOf(model: string): Promise<void> {
    const { metrics } = this.options;
    await removeSeriesOfModel(metrics.evalMetric, model);
    await removeSeriesOfModel(metrics.evalLabelled, model);
    await removeSeriesOfModel(metrics.evalFraudAmount, model);
    await removeSeriesOfModel(metrics.evalOfflineMismatch, model);
    await removeSeriesOfModel(metrics.evalFalseAlerts, model);
    await removeSeriesOfModel(metrics.evalLatestMaturedDay, model);
  }
}

/** Removes a gauge's series whose `model_version` is `model`, whatever its other labels. */
async function removeSeriesOfModel<T extends string>(gauge: Gauge<T>, model: string): Promise<void> {
  for (const { labels } of (await gauge.get()).values) {
    if ((labels as Record<string, unknown>)['model_version'] === model) gauge.remove(labels);
  }
}
