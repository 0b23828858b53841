import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TerminalReplica } from '../../../../src/adapters/redis/feature-replica.js';
import { createRedisFeatureState } from '../../../../src/adapters/redis/feature-state.js';
import type { PositionedTransaction } from '../../../../src/core/contract/events.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../../../src/core/features/definitions.js';
import { createFeatureEngine, featureStateHorizonMs } from '../../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../../src/core/features/memory-state.js';
import type { FeatureRow } from '../../../../src/core/features/types.js';
import { assertRowsIdentical, describeFeatureConformance } from '../../../support/feature-conformance.js';
import { randomFeatureStream, runStream } from '../../../support/feature-random-stream.js';
import { connectTestRedis, deleteKeys, uniqueKeyPrefix } from '../../../support/redis.js';

const LABEL_DELAY_MS = 7 * DAY_MS;
const HORIZON_MS = featureStateHorizonMs(LABEL_DELAY_MS);
let redis: Redis;

before(() => {
  redis = connectTestRedis();
});
after(async () => {
  await redis.quit();
});

describeFeatureConformance('Redis state', () => {
  const keyPrefix = uniqueKeyPrefix('conformance');
  return Promise.resolve({
    state: createRedisFeatureState(redis, { keyPrefix, horizonMs: HORIZON_MS }),
    cleanup: async () => {
      await deleteKeys(redis, keyPrefix);
    },
  });
});

describe('Redis feature state', () => {
  it('gives bit-identical rows to the memory state on a seeded random stream (replays, aborts, late labels)', async () => {
    for (const seed of [1, 2, 3]) {
      const stream = randomFeatureStream({
        seed,
        events: 3000,
        customers: 80,
        terminals: 25,
        partitions: 3,
        days: 75,
        maxBatch: 150,
        // Seed 3 also repeats ids (against the contract): the backends must agree on that too.
        repeatedIds: seed === 3 ? 0.02 : 0,
      });
      const keyPrefix = uniqueKeyPrefix(`parity-${seed}`);
      try {
        const memory = await runStream(
          createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS }),
          stream.steps,
        );
        const online = await runStream(redisEngine(keyPrefix), stream.steps);
        assertRowsIdentical(memory, online, `seed ${seed}`);
        // The stream must exercise what it claims to: risky terminals, busy customers, settled terminal windows.
        const risk30 = memory.filter((row) => row.values[14]! > 0).length;
        const busy = memory.filter((row) => row.values[3]! > 1).length;
        assert.ok(risk30 > 100, `seed ${seed}: only ${risk30} rows with terminal risk`);
        assert.ok(busy > 100, `seed ${seed}: only ${busy} rows with more than one customer transaction in a day`);
      } finally {
        await deleteKeys(redis, keyPrefix);
      }
    }
  });

  it('answers a read of entities the last record did not name, or named in another order, as the memory state does', async () => {
    const keyPrefix = uniqueKeyPrefix('read');
    const online = createRedisFeatureState(redis, { keyPrefix, horizonMs: HORIZON_MS });
    const memory = createMemoryFeatureState();
    const start = Date.UTC(2024, 0, 1);
    try {
      for (const state of [online, memory]) {
        const engine = createFeatureEngine({ state, labelDelayMs: LABEL_DELAY_MS });
        await engine.featurize([tx('a1', 'c1', 't1', start, 0), tx('a2', 'c1', 't1', start + 60_000, 1)]);
        await engine.ingestLabels([{ transactionId: 'a1', isFraud: true, reportedAtMs: start + 120_000 }]);
        await engine.featurize([tx('b1', 'c2', 't2', start + 180_000, 2), tx('b2', 'c3', 't1', start + 240_000, 3)]);
      }
      // The last record named c2, c3 and t2, t1 in that order: this read names c1 (not in it) and the others
      // reversed, so it is answered by whole-log reads and lookups rather than from the last record's answer.
      const ranges = (terminalIds: string[]) => ({
        terminalIds,
        rangeStart: Int32Array.from(terminalIds.map((_, g) => g).concat(terminalIds.length)),
        fromExclusiveMs: new Float64Array(terminalIds.length).fill(-Infinity),
        toInclusiveMs: new Float64Array(terminalIds.length).fill(Infinity),
      });
      const read = {
        customerIds: ['c3', 'c1', 'c2'],
        terminalCounts: ranges(['t1', 't2']),
        terminalFraud: ranges(['t1']),
      };
      const [fromRedis, fromMemory] = await Promise.all([online.readBatch(read), memory.readBatch(read)]);
      const histories = (snapshot: typeof fromRedis) =>
        snapshot.customers.map(({ records, start: from, end }) => Array.from(records).slice(from * 4, end * 4));
      assert.deepEqual(histories(fromRedis), histories(fromMemory));
      assert.deepEqual(
        histories(fromRedis).map((records) => records.length / 4),
        [1, 2, 1],
      );
      assert.deepEqual([...fromRedis.terminalCounts], [3, 1]);
      assert.deepEqual([...fromRedis.terminalCounts], [...fromMemory.terminalCounts]);
      assert.deepEqual(
        fromRedis.terminalFraud.map((reports) => reports.map((report) => report.transactionId)),
        [['a1']],
      );
      assert.deepEqual(fromRedis.terminalFraud, fromMemory.terminalFraud);
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it('tells how many logs it fetched whole: each new entity once, then none, and all of them when the budget is too small', async () => {
    const keyPrefix = uniqueKeyPrefix('whole');
    const start = Date.UTC(2024, 0, 1);
    const batch = (b: number) =>
      [0, 1, 2].map((i) => tx(`x${b}-${i}`, `c${i}`, `t${i % 2}`, start + b * 60_000 + i, b * 3 + i));
    const counted = (replicaBudgetBytes?: number) => {
      const counts: number[] = [];
      const state = createRedisFeatureState(redis, {
        keyPrefix,
        horizonMs: HORIZON_MS,
        ...(replicaBudgetBytes === undefined ? {} : { replicaBudgetBytes }),
        onWholeLogs: (count) => counts.push(count),
      });
      return { engine: createFeatureEngine({ state, labelDelayMs: LABEL_DELAY_MS }), counts };
    };
    try {
      const roomy = counted();
      for (let b = 0; b < 3; b++) await roomy.engine.featurize(batch(b));
      // Three customers and two terminals, fetched whole when first seen; after that only what was appended.
      assert.deepEqual(roomy.counts, [5, 0, 0]);
      // A budget too small to keep any replica: every entity is fetched whole, batch after batch.
      const starved = counted(1);
      for (let b = 3; b < 6; b++) await starved.engine.featurize(batch(b));
      assert.deepEqual(starved.counts, [5, 5, 5]);
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it('sets a TTL on every key and compacts a customer history once its prefix is past the retention', async () => {
    const keyPrefix = uniqueKeyPrefix('retention');
    const ttlMs = 60 * DAY_MS;
    try {
      const engine = redisEngine(keyPrefix, { ttlMs, trimEveryMs: DAY_MS });
      const start = Date.UTC(2024, 0, 1);
      // One transaction a day for 60 days (days 0..59). Customer windows reach 30 days + 1 day margin: records from
      // day 28 on are needed (32), and a trim waits for one more day of slack (33).
      for (let day = 0; day < 60; day++) {
        await engine.featurize([tx(`r${day}`, 'cust', 'term', start + day * DAY_MS, day)]);
      }
      await engine.ingestLabels([
        { transactionId: 'not-yet', isFraud: true, reportedAtMs: start },
        { transactionId: 'r59', isFraud: true, reportedAtMs: start },
      ]);
      const keys = await scanAll(redis, keyPrefix);
      for (const kind of ['c:', 'l:', 'f:', 'i:', 'p:', 'fraud-terminals']) {
        assert.ok(
          keys.some((key) => key.startsWith(`${keyPrefix}${kind}`)),
          `a ${kind} key exists: ${keys.join(', ')}`,
        );
      }
      for (const key of keys) {
        const pttl = await redis.pttl(key);
        assert.ok(pttl > 0 && pttl <= ttlMs, `${key} has PTTL ${pttl}`);
      }
      // Less the 32-byte generation header.
      const records = (await redis.strlen(`${keyPrefix}c:cust`)) / 32 - 1;
      assert.ok(records >= 32 && records <= 33, `customer history holds ${records} records`);
      // Terminal windows reach back 7 + 30 days (+1 margin), and a trailing worker may need another d + margin
      // (8 days): times from day 59 - 46 = 13 on stay live, older ones are cut off.
      assert.equal(await liveTerminalTimes(`${keyPrefix}l:term`), 47);
      for (const kind of ['t:', 'x:', 'd:']) {
        assert.ok(!keys.some((key) => key.startsWith(`${keyPrefix}${kind}`)), `no ${kind} key: ${keys.join(', ')}`);
      }
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it('derives the TTL of its keys from the label delay (d = 90 days outlives a fixed 60-day TTL)', async () => {
    const keyPrefix = uniqueKeyPrefix('ttl');
    try {
      const labelDelayMs = 90 * DAY_MS;
      const horizonMs = featureStateHorizonMs(labelDelayMs);
      assert.equal(horizonMs, (30 + 90 + 1 + 90 + 1) * DAY_MS);
      const engine = createFeatureEngine({
        state: createRedisFeatureState(redis, { keyPrefix, horizonMs }),
        labelDelayMs,
      });
      await engine.featurize([tx('ttl-1', 'c', 't', Date.UTC(2024, 0, 1), 0)]);
      for (const key of [`${keyPrefix}c:c`, `${keyPrefix}l:t`, `${keyPrefix}i:ttl-1`]) {
        const pttl = await redis.pttl(key);
        assert.ok(pttl > horizonMs && pttl <= horizonMs + DAY_MS + 3_600_000, `${key} has PTTL ${pttl}`);
      }
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it('keeps terminal counts exact when two workers record the same terminals concurrently', async () => {
    const keyPrefix = uniqueKeyPrefix('concurrent');
    try {
      const workers = [0, 1].map(() => redisEngine(keyPrefix));
      const start = Date.UTC(2024, 0, 1);
      // Each worker owns one partition (its customers) and both hit the same ten terminals.
      await Promise.all(
        workers.map(async (engine, partition) => {
          for (let b = 0; b < 20; b++) {
            const batch = Array.from({ length: 50 }, (_, i) => {
              const n = b * 50 + i;
              return tx(`w${partition}-${n}`, `c${partition}-${n % 7}`, `t${n % 10}`, start + n * 60_000, 100, {
                partition,
                offset: n,
              });
            });
            await engine.featurize(batch);
          }
        }),
      );
      let total = 0;
      for (let t = 0; t < 10; t++) {
        total += await liveTerminalTimes(`${keyPrefix}l:t${t}`);
      }
      assert.equal(total, 2 * 20 * 50);
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it("a worker's replica follows other workers' writes, labels and lost keys: a fresh worker computes the same rows", async () => {
    const keyPrefix = uniqueKeyPrefix('replica');
    const worker = (options: { trimEveryMs?: number } = {}) => redisEngine(keyPrefix, options);
    try {
      // Trims every day of progress: customer histories are rewritten (new generations) often.
      const warm = worker({ trimEveryMs: DAY_MS });
      const other = worker();
      const start = Date.UTC(2024, 0, 1);
      const step = 3 * 3_600_000;
      for (let b = 0; b < 150; b++) {
        // Partition 0 (this worker): four customers over four terminals; partition 1 (the other) hits the same
        // terminals, and sometimes with an older event (a late one).
        const batch = Array.from({ length: 4 }, (_, i) =>
          tx(`w${b}-${i}`, `c${(b + i) % 4}`, `t${i}`, start + b * step + i * 60_000, b * 4 + i),
        );
        const rows = await warm.featurize(batch, [{ partition: 0, from: b * 4, to: b * 4 + 4 }]);
        if (b % 9 === 4) {
          // A worker that starts now (restart, rebalance) replays the batch from Redis alone.
          assertRowsIdentical(await worker().featurize(batch), rows, `batch ${b}: fresh worker`);
        }
        const late = b % 5 === 0 ? 10 * DAY_MS : 0;
        await other.featurize(
          [0, 1, 2, 3].map((i) =>
            tx(`o${b}-${i}`, `d${i}`, `t${i}`, start + b * step - late + 30_000, b * 4 + i, {
              partition: 1,
              offset: b * 4 + i,
            }),
          ),
        );
        if (b % 3 === 0) {
          await warm.ingestLabels([{ transactionId: `o${b}-1`, isFraud: true, reportedAtMs: start + b * step }]);
        }
        if (b % 25 === 12) {
          // Keys lost (an eviction, a partial restore): the replicas must notice, not keep counting what is gone.
          await redis.del(`${keyPrefix}l:t2`, `${keyPrefix}c:c1`);
        }
      }
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it("follows another writer's trims of a log it holds, also when they leave the log's length as it expects", async () => {
    const keyPrefix = uniqueKeyPrefix('foreign-trim');
    try {
      const memory = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
      // A trims every 7 days of progress; B (the same customer after a rebalance) on every write.
      const [a, b] = [7 * DAY_MS, 0].map((trimEveryMs) => redisEngine(keyPrefix, { trimEveryMs }));
      const start = Date.UTC(2024, 0, 1);
      let offset = 0;
      const at = (time: number) => [tx(`t${offset}`, 'c', `term${offset % 3}`, time, offset++)];
      for (let day = 0; day < 40; day++) {
        const batch = at(start + day * DAY_MS);
        assertRowsIdentical(await a!.featurize(batch), await memory.featurize(batch), `A, day ${day}`);
      }
      // From day 40, B's write drops the one day that left the window and appends one: the log's length is what A
      // would expect from its own append alone, so only the rewrite token tells A that its replica is stale.
      for (let day = 40; day < 80; day++) {
        const fromB = at(start + day * DAY_MS);
        assertRowsIdentical(await b!.featurize(fromB), await memory.featurize(fromB), `B, day ${day}`);
        const fromA = at(start + day * DAY_MS + 3_600_000);
        assertRowsIdentical(await a!.featurize(fromA), await memory.featurize(fromA), `A, day ${day}`);
      }
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it('gives a new owner the first rows of the two batches the old owner recorded and did not commit', async () => {
    const keyPrefix = uniqueKeyPrefix('uncommitted-replay');
    try {
      // The old owner trims on every write. Its batches span 2.5 days of one customer's event time (a backlog), so
      // batch b + 1's own cutoff (its oldest − 31 days) lies inside the 30-day windows of batch b's records.
      const owner = redisEngine(keyPrefix, { trimEveryMs: 0 });
      const start = Date.UTC(2024, 0, 1);
      const halfDay = DAY_MS / 2;
      const batches: PositionedTransaction[][] = [];
      const firstRows: FeatureRow[][] = [];
      let replays = 0;
      for (let b = 0; b < 40; b++) {
        const batch = Array.from({ length: 5 }, (_, i) =>
          tx(`u${b}-${i}`, 'c', `t${i % 2}`, start + (b * 5 + i) * halfDay, b * 5 + i),
        );
        // As the runner: the batch before is being committed while this one is scored.
        const replayableFromMs = b === 0 ? Number.POSITIVE_INFINITY : batches[b - 1]![0]!.eventTimeMs;
        firstRows.push(await owner.featurize(batch, [], replayableFromMs));
        batches.push(batch);
        if (b >= 14 && b % 4 === 0) {
          // The group rebalanced before the commit of b − 1 ended: the new owner reads b − 1 and b again as one batch.
          const newOwner = redisEngine(keyPrefix);
          const rows = await newOwner.featurize([...batches[b - 1]!, ...batch]);
          assertRowsIdentical(rows, [...firstRows[b - 1]!, ...firstRows[b]!], `batches ${b - 1} and ${b} read again`);
          replays++;
        }
      }
      assert.equal(replays, 6);
      // The windows are full: 60 records of 30 days (the scenario cuts something when the floor is ignored).
      assert.equal(firstRows[39]![4]!.values[FEATURE_SCHEMA.names.indexOf('customer_nb_tx_30d')], 60);
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it('compacts a terminal log that holds mostly trim markers, and the replica reads the same counts after it', async () => {
    const keyPrefix = uniqueKeyPrefix('compact');
    try {
      const state = createRedisFeatureState(redis, { keyPrefix, horizonMs: HORIZON_MS });
      const engine = createFeatureEngine({ state, labelDelayMs: LABEL_DELAY_MS });
      const start = Date.UTC(2024, 0, 1);
      const history = Array.from({ length: 20 }, (_, n) => tx(`h${n}`, `c${n}`, 't', start + n * 3_600_000, n));
      await engine.featurize(history);
      const batch = [tx('now', 'c', 't', start + 8 * DAY_MS, 20)];
      const first = await engine.featurize(batch);
      const count30d = FEATURE_SCHEMA.names.indexOf('terminal_nb_tx_30d');
      assert.equal(first[0]!.values[count30d], 20, 'the terminal counts the history of 8 days before');
      // Each replay appends an empty block (nothing new, a cutoff): 16 bytes a write.
      for (let replay = 0; replay < 120; replay++) {
        assertRowsIdentical(await engine.featurize(batch), first, `replay ${replay}`);
      }
      const length = await redis.strlen(`${keyPrefix}l:t`);
      assert.ok(length < 24 + 16 + 21 * 8 + 1024 + 16, `the log was compacted: ${length} bytes`);
      const fresh = redisEngine(keyPrefix);
      assertRowsIdentical(await fresh.featurize(batch), first, 'fresh worker after compaction');
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it('counts an id reused beyond the horizon once per recording, also when its first recording is replayed after', async () => {
    const redisPrefix = uniqueKeyPrefix('reuse-replay');
    try {
      const backends = [
        createMemoryFeatureState(),
        createRedisFeatureState(redis, { keyPrefix: redisPrefix, horizonMs: HORIZON_MS }),
      ];
      const [memory, online] = backends.map((state) => createFeatureEngine({ state, labelDelayMs: LABEL_DELAY_MS }));
      const start = Date.UTC(2024, 0, 1);
      // u1 on terminal ta, reused 4 days later on tb and 8 days later on tc (the claim moves each time); then the
      // first two replayed (neither holds the claim any more), and a batch on each terminal that counts them.
      const steps = [
        [tx('u1', 'c1', 'ta', start, 0)],
        [tx('u1', 'c2', 'tb', start + 4 * DAY_MS, 1)],
        [tx('u1', 'c3', 'tc', start + 8 * DAY_MS, 2)],
        [tx('u1', 'c2', 'tb', start + 4 * DAY_MS, 1)],
        [tx('u1', 'c1', 'ta', start, 0)],
        [tx('u1', 'c2', 'tb', start + 4 * DAY_MS, 1), tx('u1', 'c1', 'ta', start, 0)],
        [tx('u2', 'c4', 'ta', start + 12 * DAY_MS, 3), tx('u3', 'c5', 'tb', start + 12 * DAY_MS, 4)],
      ];
      for (const [n, batch] of steps.entries()) {
        const [expected, actual] = [await memory!.featurize(batch), await online!.featurize(batch)];
        assertRowsIdentical(expected, actual, `step ${n}`);
      }
      const count30d = FEATURE_SCHEMA.names.indexOf('terminal_nb_tx_30d');
      const last = await online!.featurize([
        tx('u5', 'c6', 'ta', start + 13 * DAY_MS, 5),
        tx('u6', 'c7', 'tb', start + 13 * DAY_MS, 6),
      ]);
      // Each terminal holds u1 once and the batch of day 12 (windows end a day before: d = 7 days, so day 5 on).
      assert.deepEqual(
        last.map((row) => row.values[count30d]),
        [1, 1],
        'terminals ta and tb hold their recording of u1 once, however often it was replayed',
      );
      const reuses = await redis.smembers(`${redisPrefix}r:u1`);
      assert.deepEqual(reuses.sort(), [`${start + 4 * DAY_MS}:tb`, `${start + 8 * DAY_MS}:tc`]);
    } finally {
      await deleteKeys(redis, redisPrefix);
    }
  });

  it('joins a fraud label to a transaction indexed by the earlier layout (x:<tx>), keeping the earliest report', async () => {
    const keyPrefix = uniqueKeyPrefix('legacy-index');
    try {
      const engine = redisEngine(keyPrefix);
      const start = Date.UTC(2024, 0, 1);
      await redis.set(`${keyPrefix}x:old-1`, `${start}::t`, 'PX', 60_000);
      await engine.ingestLabels([{ transactionId: 'old-1', isFraud: true, reportedAtMs: start + DAY_MS }]);
      await engine.ingestLabels([{ transactionId: 'old-1', isFraud: true, reportedAtMs: start + 2 * DAY_MS }]);
      assert.equal(await redis.get(`${keyPrefix}x:old-1`), `${start}:${start + DAY_MS}:t`);
      assert.deepEqual(await redis.zrange(`${keyPrefix}f:t`, 0, -1, 'WITHSCORES'), [
        `${start + DAY_MS}:old-1`,
        String(start),
      ]);
      assert.equal(await redis.exists(`${keyPrefix}p:old-1`), 0, 'not left pending');
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });

  it('survives a flushed script cache (EVALSHA falls back to EVAL on NOSCRIPT)', async () => {
    const keyPrefix = uniqueKeyPrefix('noscript');
    try {
      const engine = redisEngine(keyPrefix);
      const start = Date.UTC(2024, 0, 1);
      await engine.featurize([tx('n1', 'c', 't', start, 100)]);
      await redis.script('FLUSH');
      const rows = await engine.featurize([tx('n2', 'c', 't', start + 1000, 300)]);
      assert.equal(rows[0]!.values[3], 2, 'customer_nb_tx_1d sees the first transaction');
      await engine.ingestLabels([{ transactionId: 'n1', isFraud: true, reportedAtMs: start }]);
    } finally {
      await deleteKeys(redis, keyPrefix);
    }
  });
});

/** An engine over the Redis state under `keyPrefix` (the tests' horizon and label delay, plus `options`). */
function redisEngine(keyPrefix: string, options: { ttlMs?: number; trimEveryMs?: number } = {}) {
  return createFeatureEngine({
    state: createRedisFeatureState(redis, { keyPrefix, horizonMs: HORIZON_MS, ...options }),
    labelDelayMs: LABEL_DELAY_MS,
  });
}

/** The event times a terminal log holds live (not below a later block's cutoff), decoded as a worker's replica does. */
async function liveTerminalTimes(key: string): Promise<number> {
  const log = new TerminalReplica();
  log.apply((await redis.getBuffer(key))!, true);
  return log.countIn(-Infinity, Infinity);
}

function tx(
  transactionId: string,
  customerId: string,
  terminalId: string,
  eventTimeMs: number,
  offset: number,
  position: { partition: number; offset: number } = { partition: 0, offset },
): PositionedTransaction {
  return { transactionId, customerId, terminalId, eventTimeMs, amountMinor: 1234, currency: 'EUR', position };
}

async function scanAll(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 20_000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}
