import { Partitioners, type Admin, type Kafka, type Message, type Producer } from 'kafkajs';
import { produceChunks } from './produce-chunks.js';

export interface OutgoingBatch {
  readonly messagesByTopic: ReadonlyMap<string, Message[]>;
  /** Next offset to consume, per input topic and partition (last processed + 1). */
  readonly offsets: ReadonlyMap<string, ReadonlyMap<number, string>>;
}

export interface TransactionalSink {
  /**
   * The commit procedure, one transaction per batch:
   *   1. begin the transaction;
   *   2. send every output (scores and dead letters), in requests the broker accepts (produce-chunks.ts);
   *   3. send the consumed offsets into the same transaction;
   *   4. commit.
   * Any failure aborts, so nothing of the batch is visible to read_committed readers and its offsets stay where
   * they were; the caller retries the batch. One exception, handled here: when the commit itself (4) got no answer,
   * the coordinator may have committed. Then the retry first settles that transaction and reads the group's committed
   * offsets; if the batch is in, the retry succeeds without sending anything again.
   *
   * `stillValid` is asked once more right before step 4: if it says no (the group is rebalancing, or this member's
   * lease lapsed: the partitions may be about to move, or have moved), the transaction is aborted instead and
   * commitBatch resolves false.
   */
  commitBatch(batch: OutgoingBatch, stillValid?: () => boolean): Promise<boolean>;
  /**
   * Whether `batch` is committed after all, sending nothing of it: true only when an earlier commitBatch of it got no
   * answer to its commit (4) and the group's committed offsets, read once that transaction is settled, include it.
   * A caller that will not retry the batch (the group rebalanced, this member's lease lapsed, records were given back)
   * asks this before its records are read again: reading again a batch whose commit landed would give each record a
   * second outcome. Throws while the cluster does not answer: the caller retries, the batch is not given up unsettled.
   */
  landed(batch: OutgoingBatch): Promise<boolean>;
  disconnect(): Promise<void>;
}

/** How long sendOffsets is retried on CONCURRENT_TRANSACTIONS: the previous commit's markers take milliseconds. */
const CONCURRENT_RETRY_MS = 5_000;

/**
 * Right after a commit the coordinator answers the next transaction's first request with CONCURRENT_TRANSACTIONS
 * until the previous one's markers are written. kafkajs retries that on AddPartitionsToTxn (sendBatch), but not on
 * AddOffsetsToTxn (sendOffsets), which is the first request of a batch with nothing to publish (labels only): it
 * would fail the whole batch, renew the producer and retry after the runner's back-off (~100 ms each time). The
 * coordinator refused the request, so sending it again in the same transaction is safe.
 */
async function whileConcurrent(request: () => Promise<void>): Promise<void> {
  const deadline = performance.now() + CONCURRENT_RETRY_MS;
  for (let delayMs = 2; ; delayMs = Math.min(2 * delayMs, 100)) {
    try {
      return await request();
    } catch (error) {
      if ((error as { type?: string }).type !== 'CONCURRENT_TRANSACTIONS' || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

export async function createTransactionalSink(
  kafka: Kafka,
  options: {
    transactionalId: string;
    consumerGroupId: string;
    /**
     * After this long an open transaction is aborted by the coordinator, which also fences its producer. Shorter than
     * the consumer's session (less a heartbeat and the broker's 10 s abort sweep), a worker that stalls inside a
     * transaction for longer than its session is fenced before its partitions go to another member, instead of
     * committing a batch that member reads again when it resumes. Default 60 s.
     */
    transactionTimeoutMs?: number;
  },
): Promise<TransactionalSink> {
  const newProducer = (): Producer =>
    kafka.producer({
      transactionalId: options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      // Longer than any batch can take; a crashed worker's open transaction is aborted at once by its successor,
      // which reuses the transactional id (initTransactions fences and aborts), not by this timeout.
      transactionTimeout: options.transactionTimeoutMs ?? 60_000,
      // kafkajs's default 300 ms first retry stalls every transaction on CONCURRENT_TRANSACTIONS right after a commit.
      retry: { initialRetryTime: 5, maxRetryTime: 1_000 },
      // Outputs are keyed like the input (customer id): murmur2 as the Java client, so any consumer agrees.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  let producer = newProducer();
  await producer.connect();
  /** The last transaction failed: this producer cannot begin another (see renew). */
  let broken = false;
  /** The batch whose commit request got no answer: it may be committed. */
  let unsure: OutgoingBatch | undefined;
  let admin: Admin | undefined;

  /**
   * kafkajs leaves a producer whose commit or abort failed (a broker restart, a moved coordinator) in a state it never
   * leaves (COMMITTING, ABORTING): every later transaction() throws. A new producer with the same transactional id
   * starts with InitProducerId, on which the coordinator first finishes what the old one left: it completes a commit
   * it had accepted and aborts anything else (and fences the old producer).
   */
  async function renew(): Promise<void> {
    const old = producer;
    producer = newProducer();
    await old.disconnect().catch(() => undefined);
    await producer.connect();
    const probe = await producer.transaction(); // InitProducerId
    await probe.abort(); // nothing was added, so nothing is sent
    broken = false;
  }

  /** Whether the group's committed offsets already include the batch (read after renew(), so they are settled). */
  async function committed(batch: OutgoingBatch): Promise<boolean> {
    if (!admin) {
      const created = kafka.admin();
      await created.connect();
      admin = created;
    }
    for (const [topic, partitions] of batch.offsets) {
      const [found] = await admin.fetchOffsets({ groupId: options.consumerGroupId, topics: [topic] });
      for (const [partition, offset] of partitions) {
        const at = found?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
        if (BigInt(at) < BigInt(offset)) return false;
      }
    }
    return true;
  }

  /** Whether a commit of `batch` that got no answer landed; renew() first finishes or aborts that transaction. */
  async function settle(batch: OutgoingBatch): Promise<boolean> {
    if (unsure !== batch) return false;
    if (broken) await renew();
    const landed = await committed(batch);
    unsure = undefined; // committed, or aborted by renew(): a retry sends it again
    return landed;
  }

  return {
    async commitBatch(batch, stillValid = () => true) {
      if (await settle(batch)) return true;
      if (broken) await renew();
      const transaction = await producer.transaction(); // 1
      let committing = false;
      try {
        const topicMessages = [...batch.messagesByTopic]
          .filter(([, messages]) => messages.length > 0)
          .map(([topic, messages]) => ({ topic, messages }));
        // Usually one request; more when the outputs would exceed the broker's record batch limit (produce-chunks.ts).
        for (const chunk of produceChunks(topicMessages))
          await transaction.sendBatch({ topicMessages: chunk, acks: -1 }); // 2
        const topics = [...batch.offsets].map(([topic, partitions]) => ({
          topic,
          partitions: [...partitions].map(([partition, offset]) => ({ partition, offset })),
        }));
        await whileConcurrent(() => transaction.sendOffsets({ consumerGroupId: options.consumerGroupId, topics })); // 3
        if (!stillValid()) {
          await transaction.abort();
          return false;
        }
        committing = true;
        await transaction.commit(); // 4
        return true;
      } catch (error) {
        if (committing) unsure = batch;
        await transaction.abort().catch(() => undefined);
        broken = true;
        throw error;
      }
    },
    landed: settle,
    async disconnect() {
      await admin?.disconnect().catch(() => undefined);
      await producer.disconnect();
    },
  };
}
