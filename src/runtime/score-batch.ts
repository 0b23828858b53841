import type { Message } from 'kafkajs';
import type { PositionedTransaction } from '../core/contract/events.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../core/contract/limits.js';
import { DeadLetterReason, ScoreReasonCode } from '../core/contract/reasons.js';
import { decidingModels } from '../core/control/index.js';
import type { FeatureEngine, FeatureRow } from '../core/features/types.js';
import { groupByDecider, type DecidedRows } from '../core/monitoring/decided-rows.js';
import { decide, type Decision, type DecisionPolicy } from '../core/scoring/decide.js';
import type { AvroSerde } from '../adapters/registry/serde.js';
import type { OutgoingBatch } from '../adapters/kafka/transactional-sink.js';
import type { ConsumedRecord } from './consumed-record.js';
import { createBatchDecoder, type RejectRecord } from './decode-batch.js';
import type { OutputSchemaIds } from './output-schemas.js';
import { scoreWithPlan } from './route-scores.js';
import type { ActiveServing } from './serving.js';
import type { ServingModel } from './serving-model.js';

export type { ServingModel } from './serving-model.js';

export interface BatchTopics {
  readonly input: string;
  readonly labels: string;
  readonly output: string;
  readonly deadLetter: string;
}

export interface BatchScorerDeps {
  readonly serde: AvroSerde;
  readonly engine: FeatureEngine;
  /** What serves this batch: asked once per batch, at its start (a control change never splits a batch). */
  readonly serving: { current(): ActiveServing };
  readonly decision: DecisionPolicy;
  /** The challenger's run is abandoned after this long; its failure never delays or changes the champion's decision. */
  readonly challengerTimeoutMs?: number;
  readonly topics: BatchTopics;
  /** The output schema ids, checked against the registry (output-schemas.ts); asked once per batch. */
  readonly outputSchemas: { current(): Promise<OutputSchemaIds> };
  readonly clock: () => number;
  /** Records larger than this are dead-lettered unread: nothing legitimate is that big. */
  readonly maxRecordBytes?: number;
}

export interface BatchSummary {
  readonly transactions: number;
  readonly labels: number;
  readonly scored: number;
  readonly deadLettered: number;
  readonly decisions: Readonly<Record<Decision, number>>;
  readonly deadLetterReasons: Readonly<Record<string, number>>;
  readonly reasonCodes: Readonly<Record<string, number>>;
  readonly scores: Float64Array;
  /** The model's input rows, row-major in the feature schema's order (scores[i] is row i): drift monitoring reads it. */
  readonly features: Float32Array;
  /**
   * Which model decided (and published) which records: drift is kept per model, each on the records it decided.
   * One entry without row indices when a single model decided the whole batch.
   */
  readonly deciders: readonly DecidedRows<ServingModel>[];
  /**
   * Every model (`name@version`) the batch's plan lets decide, whether or not it decided a record of this batch:
   * drift keeps the windows of these models only.
   */
  readonly deciding: readonly string[];
  /** Control version the batch was scored under. */
  readonly controlVersion: number;
  /** Scores by `<model version>|<route>` of the model that decided. */
  readonly decidedBy: Readonly<Record<string, number>>;
  /** Challenger failures by `<model version>|<reason>`. */
  readonly challengerFailures: Readonly<Record<string, number>>;
  readonly stageMs: Readonly<Record<'decode' | 'features' | 'model' | 'encode', number>>;
  /**
   * The newest time the batch took into the feature state, per stream: a transaction's event time, a label's
   * reported_at (−Infinity when the batch held none). How far the labels trail the transactions tells a labels feed
   * gone quiet, which the features that count labels would otherwise hide.
   */
  readonly newestTakenMs: Readonly<Record<'transactions' | 'labels', number>>;
}

export interface ScoredBatch {
  readonly outgoing: OutgoingBatch;
  readonly summary: BatchSummary;
  /**
   * The oldest event time among the transactions the batch recorded into the feature state (Infinity: none). Until
   * the batch is committed they may be featurised again: the next batches pass it on as their replayableFromMs.
   */
  readonly oldestRecordedMs: number;
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * Turns one consumed batch into its outputs: every input transaction becomes exactly one score or one dead letter,
 * every label is recorded (or dead-lettered), and the offsets to commit. Throws only when infrastructure fails
 * (registry, Redis, model runtime): then nothing was published and the whole batch is retried.
 */
export function createBatchScorer(deps: BatchScorerDeps) {
  const maxRecordBytes = deps.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const featureNames = deps.engine.schema.names;
  const decodeBatch = createBatchDecoder({ serde: deps.serde, labelsTopic: deps.topics.labels, maxRecordBytes });

  /**
   * `replayableFromMs`: the oldest event time among records of earlier batches not committed yet (their
   * oldestRecordedMs); the feature engine keeps their windows from being trimmed (FeatureEngine.featurize).
   */
  return async function scoreBatch(
    records: readonly ConsumedRecord[],
    batchId: string,
    replayableFromMs = Number.POSITIVE_INFINITY,
  ): Promise<ScoredBatch> {
    const started = performance.now();
    const nowMs = deps.clock();
    const serving = deps.serving.current();
    const schemaIds = await deps.outputSchemas.current();
    const scores: Message[] = [];
    const deadLetters: Message[] = [];
    const deadLetterReasons: Record<string, number> = {};
    const reasonCodeCounts: Record<string, number> = {};
    const decisions: Record<Decision, number> = { APPROVE: 0, REVIEW: 0, BLOCK: 0 };

    const deadLetter: RejectRecord = (record, reason, detail, transactionId) => {
      increment(deadLetterReasons, reason);
      const value = deps.serde.encode(schemaIds.deadLetter, {
        reason,
        detail,
        transaction_id: transactionId,
        source_topic: record.topic,
        source_partition: record.partition,
        source_offset: Number(record.offset),
        // Each copied only up to the record limit: a dead letter must stay far below the broker's message limit.
        original_key: record.key && record.key.length <= maxRecordBytes ? record.key : null,
        original_value: record.value && record.value.length <= maxRecordBytes ? record.value : null,
        batch_id: batchId,
        dead_lettered_at: nowMs,
      });
      // A key over the record limit (OVERSIZED_RECORD) is not carried on: the dead letter would outgrow the broker's
      // message limit, and its batch could never be committed.
      deadLetters.push({ key: record.key && record.key.length <= maxRecordBytes ? record.key : null, value });
    };

    const { transactions, transactionRecords, labels, labelRecords, consumed, offsets } = await decodeBatch(
      records,
      nowMs,
      deadLetter,
    );
    const decodedAt = performance.now();

    // Labels first: a label reported at or before a transaction's time must be visible to its features.
    if (labels.length > 0) await deps.engine.ingestLabels(labels);
    const featured = await deps.engine.featurize(
      transactions,
      [...consumed].map(([partition, range]) => ({ partition, ...range })),
      replayableFromMs,
    );
    let oldestRecordedMs = Number.POSITIVE_INFINITY;
    let newestTransactionMs = Number.NEGATIVE_INFINITY;
    for (const transaction of transactions) {
      if (transaction.eventTimeMs < oldestRecordedMs) oldestRecordedMs = transaction.eventTimeMs;
      if (transaction.eventTimeMs > newestTransactionMs) newestTransactionMs = transaction.eventTimeMs;
    }
    let newestLabelMs = Number.NEGATIVE_INFINITY;
    for (const label of labels) if (label.reportedAtMs > newestLabelMs) newestLabelMs = label.reportedAtMs;
    const featuresAt = performance.now();

    // Duplicates (a transaction id scored before, from another offset: the feature state's claim, which a record
    // dead-lettered earlier never took) get a dead letter naming the record that was scored.
    const rows: FeatureRow[] = [];
    const rowEvents: PositionedTransaction[] = [];
    const rowRecords: ConsumedRecord[] = [];
    featured.forEach((row, index) => {
      const event = transactions[index] as PositionedTransaction;
      const record = transactionRecords[index] as ConsumedRecord;
      if (row.duplicateOf === undefined) {
        rows.push(row);
        rowEvents.push(event);
        rowRecords.push(record);
        return;
      }
      const first = row.duplicateOf;
      deadLetter(
        record,
        DeadLetterReason.DuplicateTransaction,
        `transaction_id ${event.transactionId} was already scored from ${deps.topics.input} partition ` +
          `${first.partition} offset ${first.offset}; that record's outcome stands`,
        event.transactionId,
      );
    });

    const width = featureNames.length;
    // The model runs in float32: each published (float64) feature value v reached it as Math.fround(v).
    const matrix = new Float32Array(rows.length * width);
    rows.forEach((row, index) => matrix.set(row.values, index * width));
    const routed = await scoreWithPlan(serving, matrix, rows.length, {
      customerIds: rowEvents.map((event) => event.customerId),
      timeoutMs: deps.challengerTimeoutMs ?? 5_000,
    });
    const modelAt = performance.now();

    const { plan } = serving;
    const publishedScores = new Float64Array(rows.length);
    const decidedBy: Record<string, number> = {};
    for (let index = 0; index < rows.length; index++) {
      const event = rowEvents[index] as PositionedTransaction;
      const record = rowRecords[index] as ConsumedRecord;
      const row = rows[index]!;
      const outcome = routed.records[index]!;
      const verdict = decide(outcome.raw, deps.decision);
      const reasonCodes = [
        ...verdict.reasonCodes,
        ...outcome.reasonCodes,
        ...row.imputed.map((name) => `${ScoreReasonCode.FeatureImputed}:${name}`),
      ];
      for (const code of reasonCodes) increment(reasonCodeCounts, code.split(':')[0] as string);
      decisions[verdict.decision]++;
      increment(decidedBy, `${outcome.model.version}|${outcome.route}`);
      publishedScores[index] = verdict.score;
      const features: Record<string, number> = {};
      for (let f = 0; f < width; f++) features[featureNames[f] as string] = row.values[f] as number;
      scores.push({
        key: record.key,
        value: deps.serde.encode(schemaIds.score, {
          transaction_id: event.transactionId,
          event_time: event.eventTimeMs,
          scored_at: nowMs,
          score: verdict.score,
          decision: verdict.decision,
          model_name: outcome.model.name,
          model_version: outcome.model.version,
          feature_schema_version: outcome.model.featureSchemaVersion,
          features,
          reason_codes: reasonCodes,
          shadow_scores: outcome.shadowScores,
          batch_id: batchId,
          source_partition: record.partition,
          source_offset: Number(record.offset),
          route: outcome.route,
          rollout_stage: plan.challenger?.stage ?? -1,
          rollout_percent: plan.challenger?.percent ?? 0,
          control_version: plan.version,
          model_latency_ms: routed.latencyMs,
        }),
      });
    }
    const encodedAt = performance.now();

    return {
      outgoing: {
        messagesByTopic: new Map([
          [deps.topics.output, scores],
          [deps.topics.deadLetter, deadLetters],
        ]),
        offsets,
      },
      summary: {
        transactions: records.length - labelRecords,
        labels: labels.length,
        scored: scores.length,
        deadLettered: deadLetters.length,
        decisions,
        deadLetterReasons,
        reasonCodes: reasonCodeCounts,
        scores: publishedScores,
        features: matrix,
        deciders: groupByDecider(routed.records),
        deciding: decidingModels(plan),
        controlVersion: plan.version,
        decidedBy,
        challengerFailures: routed.failures,
        stageMs: {
          decode: decodedAt - started,
          features: featuresAt - decodedAt,
          model: modelAt - featuresAt,
          encode: encodedAt - modelAt,
        },
        newestTakenMs: { transactions: newestTransactionMs, labels: newestLabelMs },
      },
      oldestRecordedMs,
    };
  };
}

export type ScoreBatch = ReturnType<typeof createBatchScorer>;
