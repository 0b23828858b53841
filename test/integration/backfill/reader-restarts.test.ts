/**
 * The backfill's topic reader (a `fraudscore backfill --events topic:` or a `state rebuild`) while kafkajs starts its
 * consumer again, on the real broker and registry: after a restart kafkajs makes a new group state with nothing
 * paused, and after a lost group coordinator it stops the consumer for good unless the reader runs it again. Either
 * way the read must keep its memory bound and read every record once.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Consumer, Message } from 'kafkajs';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { createAvroSerde, type AvroSerde } from '../../../src/adapters/registry/serde.js';
import { kafkaTransactionSource, transactionDecoder } from '../../../src/backfill/kafka-source.js';
import { TopicReader, type PartitionBuffer } from '../../../src/backfill/topic-reader.js';
import type { PositionedTransaction } from '../../../src/core/contract/events.js';
import { failingLookups, failingNextFetch, watchedKafka } from '../../support/kafkajs-faults.js';
import { STACK, createTopics, deleteTopics, testKafka, uniqueName } from '../../support/stack.js';
import { waitFor } from '../../support/wait-for.js';

const T0 = Date.UTC(2026, 0, 5);
const PER_PARTITION = 15_000;
const PARTITIONS = 2;

/** Every record of a read, once: the positions of each partition are 0 … PER_PARTITION − 1. */
function assertEveryRecordOnce(records: readonly PositionedTransaction[]): void {
  assert.equal(records.length, PARTITIONS * PER_PARTITION);
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const offsets = records.filter((r) => r.position.partition === partition).map((r) => r.position.offset);
    assert.equal(new Set(offsets).size, PER_PARTITION, `partition ${partition}: each offset once`);
    assert.equal(Math.max(...offsets), PER_PARTITION - 1);
  }
}

describe("the backfill's topic reader while kafkajs starts its consumer again (real Kafka and registry)", () => {
  const topic = uniqueName('reader-restarts');
  let serde: AvroSerde;

  before(async () => {
    await createTopics([topic], PARTITIONS);
    serde = createAvroSerde({ url: STACK.registryUrl });
    const schema = await serde.register(`${topic}-value`, readContractSchema('transaction'));
    const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let start = 0; start < PER_PARTITION; start += 2500) {
        const messages: (Message & { partition: number })[] = [];
        for (let partition = 0; partition < PARTITIONS; partition++) {
          for (let i = start; i < start + 2500; i++) {
            messages.push({
              partition,
              key: `c${partition}`,
              value: serde.encode(schema, {
                // Long ids: ~260 bytes a record, so one fetch (≤ 1 MiB a partition) holds a part of a partition.
                transaction_id: `p${partition}-${i}-`.padEnd(120, 'x'),
                event_time: T0 + i * 1000,
                customer_id: `c${partition}`,
                terminal_id: `t${i % 50}-`.padEnd(120, 'y'),
                amount: 1 + (i % 90),
                currency: 'EUR',
              }),
            });
          }
        }
        await producer.send({ topic, messages });
      }
    } finally {
      await producer.disconnect();
    }
  });

  after(async () => {
    await deleteTopics([topic]);
  });

  it('a restart by kafkajs (no broker available) keeps the paused partitions paused, and every record is read once', async () => {
    const { kafka, consumers } = watchedKafka();
    // One fetch (≤ 1 MiB a partition: thousands of these records) fills far past this, and pauses the partition.
    const reader = new TopicReader<PositionedTransaction>({
      kafka,
      topic,
      decoder: transactionDecoder(serde),
      maxBufferedPerPartition: 100,
    });
    let patch: ReturnType<typeof failingNextFetch> | undefined;
    try {
      await reader.open();
      await waitFor(
        'both partitions paused',
        async () => (reader.partitions.every((b) => b.paused) ? true : undefined),
        30_000,
      );
      const held = reader.partitions.map((buffer) => buffer.size);
      assert.ok(
        held.every((size) => size >= 100 && size < PER_PARTITION),
        `one fetch each, not the whole partition: ${held.join(', ')}`,
      );
      const [{ consumer, groupId }] = consumers as [{ groupId: string; consumer: Consumer }];
      const [first, second] = reader.partitions as [PartitionBuffer<PositionedTransaction>, PartitionBuffer<unknown>];
      const records: PositionedTransaction[] = [];
      const events: string[] = [];
      let takeFailed: unknown = null;
      let resumedDuringRestart = false;
      let positionAtCrash = -1;
      let firstFetchedAfterJoin: number | undefined;
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        events.push(`crash restart=${String(payload.restart)}`);
        positionAtCrash = first.position;
        // kafkajs has no group state until it restarts: taking partition 0's records resumes it meanwhile.
        try {
          while (first.size > 0) records.push(reader.take(first));
          resumedDuringRestart = !first.paused;
        } catch (error) {
          takeFailed = error;
        }
      });
      consumer.on(consumer.events.GROUP_JOIN, () => events.push('join'));
      consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
        if (events.includes('join') && payload.partition === 0) firstFetchedAfterJoin ??= Number(payload.firstOffset);
      });
      patch = failingNextFetch(groupId);
      await waitFor(
        'kafkajs restarted the consumer',
        async () => (events.join(' ').includes('crash restart=true join') ? true : undefined),
        30_000,
      );
      assert.equal(takeFailed, null, 'taking records while kafkajs restarts does not fail');
      assert.ok(records.length > 0 && resumedDuringRestart, 'partition 0 was drained and resumed during the restart');
      // Eight fetch cycles (250 ms each): a partition kafkajs fetched again would fill its buffer to its end.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(second.size, held[1], 'nothing fetched into the paused partition after the restart');
      assert.ok(
        consumer.paused().some((p) => p.partitions.includes(1)),
        'kafkajs holds partition 1 paused',
      );
      assert.ok(first.next > held[0]!, 'partition 0, resumed, was read on after the restart');
      assert.equal(firstFetchedAfterJoin, positionAtCrash, 'the restart read on from where the read stood, not from 0');

      for (;;) {
        const open = reader.partitions.filter((buffer) => !buffer.exhausted);
        if (open.length === 0) break;
        let took = false;
        for (const buffer of open) {
          while (buffer.size > 0) {
            records.push(reader.take(buffer));
            took = true;
          }
        }
        if (!took) await reader.waitForProgress();
      }
      assertEveryRecordOnce(records);
    } finally {
      patch?.restore();
      await reader.close();
    }
  });

  it('a group coordinator that stays lost: the read stops at its stall limit, naming the lost coordinator', async () => {
    const { kafka } = watchedKafka();
    const patch = failingLookups((group) => group.startsWith('fraudscore.backfill.'));
    const reader = new TopicReader<PositionedTransaction>({
      kafka,
      topic,
      decoder: transactionDecoder(serde),
      stallTimeoutMs: 4000,
    });
    try {
      await reader.open();
      await assert.rejects(reader.waitForProgress(), (error: Error) => {
        assert.match(error.message, /since kafkajs lost the reader's group coordinator \(run again \d+ times\)/);
        assert.match(error.message, /an ACL missing for the group ids fraudscore\.backfill\.\*/);
        assert.equal((error.cause as Error).name, 'KafkaJSGroupCoordinatorNotFound');
        return true;
      });
      assert.ok(patch.failed.length >= 2, `run again after the first failure: ${patch.failed.length} lookups failed`);
    } finally {
      patch.restore();
      await reader.close();
    }
  });

  it('a lost group coordinator at the first join: the reader runs again, warns, and reads every record once', async () => {
    const { kafka } = watchedKafka();
    const lines: string[] = [];
    const log = createLogger({
      name: 'test',
      level: 'warn',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const patch = failingLookups((group, lookup) => group.startsWith('fraudscore.backfill.') && lookup === 1);
    try {
      const source = kafkaTransactionSource({ kafka, serde, topic, log, maxBufferedPerPartition: 500 });
      const records: PositionedTransaction[] = [];
      for await (const batch of source.batches(1000)) records.push(...batch);
      assertEveryRecordOnce(records);
      assert.equal(patch.failed.length, 1, 'the first join met the lost coordinator');
      assert.ok(
        lines.some((line) => line.includes(`the backfill's reader of ${topic}`) && line.includes('running it again')),
        `a warning names the reader: ${lines.join('')}`,
      );
      // Merged by event time: each record's time is at least the one before.
      for (let i = 1; i < records.length; i++) assert.ok(records[i]!.eventTimeMs >= records[i - 1]!.eventTimeMs);
    } finally {
      patch.restore();
    }
  });
});
