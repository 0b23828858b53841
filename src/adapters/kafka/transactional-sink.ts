import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';

export interface OutgoingBatch {
  readonly messagesByTopic: ReadonlyMap<string, Message[]>;
  /** Next offset to consume, per input topic and partition (last processed + 1). */
  readonly offsets: ReadonlyMap<string, ReadonlyMap<number, string>>;
}

export interface TransactionalSink {
  /**
   * The commit procedure, one transaction per batch:
   *   1. begin the transaction;
   *   2. send every output (scores and dead letters);
   *   3. send the consumed offsets into the same transaction;
   *   4. commit.
   * Any failure aborts, so nothing of the batch is visible to read_committed readers and its offsets stay where
   * they were; the caller retries the batch.
   */
  commitBatch(batch: OutgoingBatch): Promise<void>;
  disconnect(): Promise<void>;
}

export async function createTransactionalSink(
  kafka: Kafka,
  options: { transactionalId: string; consumerGroupId: string },
): Promise<TransactionalSink> {
  const producer: Producer = kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    // Longer than any batch can take; a crashed worker's open transaction is aborted at once by its successor,
    // which reuses the transactional id (initTransactions fences and aborts), not by this timeout.
    transactionTimeout: 60_000,
    // kafkajs's default 300 ms first retry stalls every transaction on CONCURRENT_TRANSACTIONS right after a commit.
    retry: { initialRetryTime: 5, maxRetryTime: 1_000 },
    // Outputs are keyed like the input (customer id): murmur2 as the Java client, so any consumer agrees.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    async commitBatch(batch) {
      const transaction = await producer.transaction(); // 1
      try {
        const topicMessages = [...batch.messagesByTopic]
          .filter(([, messages]) => messages.length > 0)
          .map(([topic, messages]) => ({ topic, messages }));
        if (topicMessages.length > 0) await transaction.sendBatch({ topicMessages, acks: -1 }); // 2
        await transaction.sendOffsets({
          consumerGroupId: options.consumerGroupId,
          topics: [...batch.offsets].map(([topic, partitions]) => ({
            topic,
            partitions: [...partitions].map(([partition, offset]) => ({ partition, offset })),
          })),
        }); // 3
        await transaction.commit(); // 4
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
    },
    disconnect: () => producer.disconnect(),
  };
}
