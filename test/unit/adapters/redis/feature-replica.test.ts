import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CUSTOMER_HEADER_BYTES,
  CustomerReplica,
  LOG_MAGIC,
  evictLeastRecentlyUsed,
  ReplicaSet,
  UseClock,
  TERMINAL_HEADER_BYTES,
  TerminalReplica,
} from '../../../../src/adapters/redis/feature-replica.js';

function header(generation: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  LOG_MAGIC.copy(out, 0);
  out.writeDoubleLE(generation, 16);
  return out;
}

function floats(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((value, i) => out.writeDoubleLE(value, i * 8));
  return out;
}

/** One write's block: [n, times..., cutoff]. */
function block(times: number[], cutoff: number): Buffer {
  return floats(times.length, ...times, cutoff);
}

function liveTimes(replica: TerminalReplica): number[] {
  return [...replica.times.subarray(0, replica.count)].sort((a, b) => a - b);
}

describe('terminal replica', () => {
  it('applies a whole log, then appended blocks, each block trimming the earlier times below its cutoff', () => {
    const replica = new TerminalReplica();
    const whole = Buffer.concat([header(1, TERMINAL_HEADER_BYTES), block([10, 20, 30], 0), block([5], 5)]);
    replica.apply(whole, true);
    assert.deepEqual(liveTimes(replica), [5, 10, 20, 30]);
    assert.equal(replica.length, whole.length);
    // A cutoff drops what is below it, including a time added by the same block (the sorted set's trim follows
    // the add in the same write).
    const next = Buffer.concat([block([1, 40], 15), block([], 25)]);
    replica.apply(next, false);
    assert.deepEqual(liveTimes(replica), [30, 40]);
    assert.equal(replica.length, whole.length + next.length);
    assert.equal(replica.countIn(29, 30), 1);
    assert.equal(replica.countIn(30, 40), 1);
    assert.equal(replica.countIn(-Infinity, Infinity), 2);
  });

  it('a reset replaces everything (a compaction, a lost or rebuilt state); an empty reset means no log', () => {
    const replica = new TerminalReplica();
    replica.apply(Buffer.concat([header(1, TERMINAL_HEADER_BYTES), block([10, 20], 0)]), true);
    replica.apply(Buffer.concat([header(2, TERMINAL_HEADER_BYTES), block([20], -Infinity)]), true);
    assert.deepEqual(liveTimes(replica), [20]);
    assert.equal(replica.header!.readDoubleLE(16), 2);
    replica.apply(Buffer.alloc(0), true);
    assert.equal(replica.count, 0);
    assert.equal(replica.header, null);
    assert.equal(replica.length, 0);
  });

  it('counts the live times in any range as one by one, whether they came in time order or not', () => {
    const blockDraft = fc.record({
      times: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 6 }),
      sorted: fc.boolean(),
      cutoff: fc.integer({ min: -10, max: 60 }),
    });
    fc.assert(
      fc.property(
        fc.array(blockDraft, { minLength: 1, maxLength: 12 }),
        fc.array(fc.tuple(fc.integer({ min: -5, max: 105 }), fc.integer({ min: -5, max: 105 })), { maxLength: 10 }),
        (blocks, ranges) => {
          const replica = new TerminalReplica();
          const [first, ...rest] = blocks.map(({ times, sorted, cutoff }) =>
            block(sorted ? [...times].sort((a, b) => a - b) : times, cutoff),
          );
          replica.apply(Buffer.concat([header(1, TERMINAL_HEADER_BYTES), first!]), true);
          for (const next of rest) {
            replica.apply(next, false);
            const live = liveTimes(replica);
            for (const [from, to] of [...ranges, [-Infinity, Infinity] as const]) {
              const expected = live.filter((time) => time > from && time <= to).length;
              assert.equal(replica.countIn(from, to), expected, `(${from}, ${to}] of ${live.join(',')}`);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a block that runs past the end, and a log without header', () => {
    assert.throws(() => new TerminalReplica().apply(floats(3, 1), false), /corrupt terminal log/);
    assert.throws(() => new TerminalReplica().apply(block([1], 0), true), /no generation header/);
  });

  it('asks for a compaction once markers and trimmed times outweigh the live times', () => {
    const replica = new TerminalReplica();
    replica.apply(Buffer.concat([header(1, TERMINAL_HEADER_BYTES), block([1], 0)]), true);
    assert.equal(replica.wasteful(), false);
    for (let write = 0; write < 100; write++) replica.apply(block([], 0), false);
    assert.equal(replica.wasteful(), true);
  });
});

describe('customer replica', () => {
  it('keeps the records after the header, appends deltas, and refuses a torn record', () => {
    const replica = new CustomerReplica();
    replica.apply(Buffer.concat([header(1, CUSTOMER_HEADER_BYTES), floats(100, 250, 0, 7)]), true);
    replica.apply(floats(200, 300, 1, 8, 300, 400, 0, 9), false);
    assert.equal(replica.count, 3);
    assert.deepEqual([...replica.records.subarray(0, 12)], [100, 250, 0, 7, 200, 300, 1, 8, 300, 400, 0, 9]);
    assert.equal(replica.length, CUSTOMER_HEADER_BYTES + 3 * 32);
    assert.throws(() => replica.apply(floats(1, 2, 3), false), /not a multiple of 32/);
  });

  it('keeps a history without header (an older writer) without generation, so it is fetched whole again', () => {
    const replica = new CustomerReplica();
    replica.apply(floats(100, 250, 0, 7), true);
    assert.equal(replica.count, 1);
    assert.equal(replica.header, null);
  });

  it('decodes from an unaligned buffer', () => {
    const raw = Buffer.concat([Buffer.alloc(3), header(1, CUSTOMER_HEADER_BYTES), floats(1.5, 2, 3, 4)]);
    const replica = new CustomerReplica();
    replica.apply(raw.subarray(3), true);
    assert.deepEqual([...replica.records.subarray(0, 4)], [1.5, 2, 3, 4]);
  });
});

describe('replica set', () => {
  it('drops least recently used replicas past its budget', () => {
    const set = new ReplicaSet(() => new TerminalReplica());
    for (const id of ['a', 'b', 'c']) {
      set.get(id).apply(Buffer.concat([header(1, TERMINAL_HEADER_BYTES), block(new Array(100).fill(1), 0)]), true);
    }
    set.get('a');
    const one = set.peek('b')!.bytes();
    const held = evictLeastRecentlyUsed([set], 2 * one);
    assert.equal(set.size, 1);
    assert.ok(held <= 2 * one);
    assert.ok(set.peek('a'), 'the most recently used stays');
    assert.equal(evictLeastRecentlyUsed([set], Infinity), held);
  });

  it('shares one budget between kinds: the least recently used of either goes first, none while the sum fits', () => {
    const clock = new UseClock();
    const customers = new ReplicaSet(() => new CustomerReplica(), clock);
    const terminals = new ReplicaSet(() => new TerminalReplica(), clock);
    const history = Buffer.concat([header(1, CUSTOMER_HEADER_BYTES), floats(...new Array(4 * 100).fill(1))]);
    terminals.get('t1').apply(Buffer.concat([header(1, TERMINAL_HEADER_BYTES), block([1, 2], 0)]), true);
    for (const id of ['c1', 'c2', 'c3']) customers.get(id).apply(history, true);
    const all = customers.recount() + terminals.recount();
    // The customers alone hold more than half of it: a split budget would have dropped one.
    assert.ok(customers.recount() > all / 2);
    assert.equal(evictLeastRecentlyUsed([customers, terminals], all), all);
    assert.equal(customers.size + terminals.size, 4);

    customers.get('c1');
    const oneCustomer = customers.peek('c2')!.bytes();
    const held = evictLeastRecentlyUsed([customers, terminals], all - 1);
    // Dropped in order of last use, whatever the kind: t1, then c2, and then three quarters of the budget fit.
    assert.ok(held <= 0.75 * (all - 1));
    assert.equal(terminals.size, 0);
    assert.deepEqual(
      ['c1', 'c2', 'c3'].filter((id) => customers.peek(id)),
      ['c1', 'c3'],
    );
    assert.equal(held, 2 * oneCustomer);
  });
});
