import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { OutgoingBatch, TransactionalSink } from '../../src/adapters/kafka/transactional-sink.js';
import type { ConsumedRecord } from '../../src/runtime/consumed-record.js';
import type { BatchSummary, ScoreBatch } from '../../src/runtime/score-batch.js';

/**
 * Unit-test doubles for the runner's group side (kafkajs's consumer) and its commit side (the transactional sink), so
 * that the runner's own rules (alignment holds, give-backs, retries) can be driven step by step. The real consumer and
 * sink are exercised by the integration tests and the fault drills (test/fault) against the real stack.
 */
export class FakeGroupConsumer {
  readonly events = {
    GROUP_JOIN: 'consumer.group_join',
    HEARTBEAT: 'consumer.heartbeat',
    REBALANCING: 'consumer.rebalancing',
    END_BATCH_PROCESS: 'consumer.end_batch_process',
  } as const;
  /** Every seek the runner asked for, in order. */
  readonly seeks: { topic: string; partition: number; offset: string }[] = [];
  /** The partitions paused now ("<topic>:<partition>"): kafkajs would not fetch them. */
  readonly paused = new Set<string>();
  /** Each partition's end offset as the broker would answer it now ("<topic>:<partition>"). */
  readonly ends = new Map<string, number>();
  private readonly listeners = new Map<string, ((event: unknown) => void)[]>();
  private eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;

  asConsumer(): Consumer {
    return this as unknown as Consumer;
  }

  async subscribe(): Promise<void> {}

  on(event: string, listener: (event: unknown) => void): () => void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () => undefined;
  }

  async run(config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void> {
    this.eachBatch = config.eachBatch;
  }

  seek(target: { topic: string; partition: number; offset: string }): void {
    this.seeks.push(target);
  }

  pause(topicPartitions: { topic: string; partitions: number[] }[]): void {
    for (const { topic, partitions } of topicPartitions) for (const p of partitions) this.paused.add(`${topic}:${p}`);
  }

  resume(topicPartitions: { topic: string; partitions: number[] }[]): void {
    for (const { topic, partitions } of topicPartitions)
      for (const p of partitions) this.paused.delete(`${topic}:${p}`);
  }

  async disconnect(): Promise<void> {}

  /** The group (re)joined with this assignment. */
  join(assignment: Record<string, number[]>): void {
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions)
        if (!this.ends.has(`${topic}:${partition}`)) this.produced(topic, partition, 0);
    }
    this.emit(this.events.GROUP_JOIN, { payload: { memberAssignment: assignment } });
  }

  /** The coordinator answered a heartbeat. */
  heartbeat(): void {
    this.emit(this.events.HEARTBEAT, {});
  }

  /** kafkajs announces a rebalance: it rejoins once every handler has returned. */
  rebalancing(): void {
    this.emit(this.events.REBALANCING, {});
  }

  /** Records were produced to a partition, up to end offset `end`, and not fetched yet. */
  produced(topic: string, partition: number, end: number): void {
    this.ends.set(`${topic}:${partition}`, end);
  }

  /** The end offsets as an admin client would read them now: what the runner's alignment reads. */
  async endOffsets(): Promise<Map<string, number>> {
    return new Map(this.ends);
  }

  /**
   * A fetch of one partition handed to eachBatch: `times` are the records' event times (the fake decoder reads them
   * back), from `firstOffset` on; `end` is the partition's end offset (the high watermark). Resolves when the
   * handler returns, which is when kafkajs would move its position past these records.
   */
  async deliver(
    topic: string,
    partition: number,
    firstOffset: number,
    times: number[],
    end: number,
    /** The heartbeat the handler is given (default: the coordinator answers). */
    heartbeat: () => Promise<void> = async () => undefined,
    /** Transaction markers after the records, in the same fetch (kafkajs reads on after the last of them). */
    trailingMarkers = 0,
  ): Promise<void> {
    const key = `${topic}:${partition}`;
    this.ends.set(key, Math.max(this.ends.get(key) ?? 0, end));
    const messages = times.map((time, i) => ({
      offset: String(firstOffset + i),
      key: null,
      value: Buffer.from(String(time)),
    }));
    const last = firstOffset + times.length - 1 + trailingMarkers;
    const payload = {
      batch: {
        topic,
        partition,
        messages,
        firstOffset: () => String(firstOffset),
        lastOffset: () => String(last),
        highWatermark: String(end),
        offsetLag: () => String(end - 1 - last),
      },
      heartbeat,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload;
    await (this.eachBatch as (payload: EachBatchPayload) => Promise<void>)(payload);
  }

  /**
   * A fetch of one partition that held nothing to hand on, from `firstOffset` to `lastOffset` (default: the last
   * offset before the partition's end offset `end`): transaction markers, an aborted transaction's records. kafkajs
   * calls no eachBatch for it and only emits its END_BATCH_PROCESS instrumentation event, with the payload it builds
   * (runner.js, handleBatch).
   */
  deliverWithoutRecords(
    topic: string,
    partition: number,
    firstOffset: number,
    end: number,
    lastOffset = end - 1,
  ): void {
    const key = `${topic}:${partition}`;
    this.ends.set(key, Math.max(this.ends.get(key) ?? 0, end));
    const payload = {
      topic,
      partition,
      highWatermark: String(end),
      offsetLag: String(end - 1 - lastOffset),
      batchSize: 0,
      firstOffset: String(firstOffset),
      lastOffset: String(lastOffset),
    };
    this.emit(this.events.END_BATCH_PROCESS, { payload });
  }

  private emit(event: string, payload: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }
}

/** Reads back the event time FakeGroupConsumer.deliver wrote into each record. */
export async function fakeTimes(records: ConsumedRecord[]): Promise<(number | undefined)[]> {
  return records.map((record) => Number((record.value as Buffer).toString()));
}

/**
 * A scorer that outputs nothing but the offsets to commit, and a sink that commits them: `committed` lists every
 * record whose batch was committed ("<topic>:<partition>@<offset>"), in commit order; `replayableFrom` the
 * replayableFromMs the runner passed to each scoring call, in call order.
 */
export function fakeScoreAndSink(
  hooks: {
    beforeCommit?: () => void | Promise<void>;
    /** Runs once the batch was judged still valid, before it counts as committed: the transaction's end under way. */
    whileEnding?: () => void | Promise<void>;
    /**
     * Asked once a batch is committed: true loses the commit's answer (a request timeout after the coordinator
     * committed), so commitBatch throws; like the real sink, `landed` and a retry then find the batch committed.
     */
    answerLost?: () => boolean;
  } = {},
): {
  scoreBatch: ScoreBatch;
  sink: TransactionalSink;
  committed: string[];
  replayableFrom: number[];
} {
  const records = new Map<OutgoingBatch, readonly ConsumedRecord[]>();
  const committed: string[] = [];
  /** Batches committed whose answer was lost, not settled yet. */
  const lost = new Set<OutgoingBatch>();
  const replayableFrom: number[] = [];
  const scoreBatch: ScoreBatch = async (batch, _batchId, replayableFromMs = Number.POSITIVE_INFINITY) => {
    replayableFrom.push(replayableFromMs);
    const offsets = new Map<string, Map<number, string>>();
    for (const record of batch) {
      const partitions = offsets.get(record.topic) ?? new Map<number, string>();
      partitions.set(record.partition, String(Number(record.offset) + 1));
      offsets.set(record.topic, partitions);
    }
    const outgoing: OutgoingBatch = { messagesByTopic: new Map(), offsets };
    records.set(outgoing, [...batch]);
    const summary = {
      labels: 0,
      decisions: {},
      deadLetterReasons: {},
      reasonCodes: {},
      stageMs: {},
      newestTakenMs: { transactions: Number.NEGATIVE_INFINITY, labels: Number.NEGATIVE_INFINITY },
    } as unknown as BatchSummary;
    const times = await fakeTimes([...batch]);
    return { outgoing, summary, oldestRecordedMs: Math.min(...times.map((time) => time ?? Number.POSITIVE_INFINITY)) };
  };
  const sink: TransactionalSink = {
    async commitBatch(batch, stillValid = () => true) {
      if (lost.delete(batch)) return true; // committed by the attempt whose answer was lost: nothing sent again
      await hooks.beforeCommit?.(); // what happens between the runner's checks and the commit itself
      if (!stillValid()) return false;
      await hooks.whileEnding?.();
      for (const record of records.get(batch) ?? []) {
        committed.push(`${record.topic}:${record.partition}@${record.offset}`);
      }
      if (hooks.answerLost?.()) {
        lost.add(batch);
        throw new Error('Request EndTxn(key: 26, version: 1) timed out');
      }
      return true;
    },
    async landed(batch) {
      return lost.delete(batch);
    },
    async disconnect() {},
  };
  return { scoreBatch, sink, committed, replayableFrom };
}
