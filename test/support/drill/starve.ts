import { DEFAULT_LATENESS_MARGIN_MS } from '../../../src/core/features/definitions.js';
import { testKafka } from '../stack.js';
import type { FaultContext } from './faults.js';

const DAY_MS = 86_400_000;
/** Labels written while the batch loop waits: a batch that is ready the moment the frozen worker resumes. */
const LABELS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUntil = (atMs: number) => sleep(Math.max(0, atMs - Date.now()));

/**
 * The runner's membership lease and the group session, as src/runtime/context.ts derives them from the batch window:
 * a commit needs a heartbeat answered within the lease; the coordinator expels a member after the session.
 */
function groupTimes(maxWaitMs: number): { sessionMs: number; leaseMs: number } {
  const sessionMs = Math.max(30_000, maxWaitMs + 15_000);
  return { sessionMs, leaseMs: sessionMs - 5_000 };
}

/**
 * Issue 9 item 8's drill: a give-back while event-time alignment starves partitions, with no rebalance after it.
 *
 *  1. Starve: an upstream transaction is left open on input partition 0, right after records the worker has not
 *     fetched yet. A read_committed fetch then stops short of the partition's end, so the partition is not read to its
 *     end and its bound stays at its newest event less the lateness; every record of the other partitions later than
 *     that bound plus the label delay is held back in the intake. Their eachBatch handlers have returned (a starved
 *     intake lets the fetch loop go on), so kafkajs's position is already past them.
 *  2. No heartbeat answered for longer than the membership lease, but the member is not expelled: the worker is
 *     frozen (SIGSTOP) for just over the lease, and the broker is frozen across the moment it resumes, so that the
 *     first thing the worker does is try to commit a batch (non-fraud labels, which change no feature, waiting since
 *     before the freeze while Redis was frozen too) and find its lease lapsed: it gives back everything uncommitted.
 *     The broker resumes within the session, answers the heartbeat, and the group stays as it was.
 *  3. The open transaction is committed; what it held back flows. Each held record must still get exactly one outcome
 *     (kafkajs reads on from its position unless the runner seeks back), with the features of an uninterrupted run.
 *
 * Freezing Redis and the broker only lines the events up (without them the heartbeat usually wins the race); the
 * fault is the heartbeat silence.
 */
export async function starvedGiveBack(ctx: FaultContext): Promise<string> {
  const { stack, pool, watch, topology, tag, remaining, producer, feeder, checks } = ctx;
  const worker = pool.ids()[0] as string;
  const { sessionMs, leaseMs } = groupTimes(topology.batch.maxWaitMs);

  // 1. The open transaction, after records the frozen worker will fetch together with the partition's end beyond them.
  pool.signal(worker, 'SIGSTOP');
  const upstream = testKafka().producer({
    transactionalId: `drill-${tag}-upstream`,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 600_000,
  });
  let open: Awaited<ReturnType<typeof upstream.transaction>> | undefined;
  let newestBefore: number;
  try {
    await sleep(1_000); // the fetch in flight is answered (empty) meanwhile: the next one sees all that follows
    await feeder.feed(100);
    newestBefore = feeder.lastEventTimeMs as number;
    await upstream.connect();
    open = await upstream.transaction();
    await open.send({
      topic: topology.topics.input,
      acks: -1,
      // Not wire format: it becomes a dead letter once committed, and changes no feature.
      messages: [{ partition: 0, key: null, value: Buffer.from(`{"transaction_id":"drill-${tag}-open"}`) }],
    });
  } finally {
    pool.signal(worker, 'SIGCONT');
  }

  let detail: string;
  try {
    // Fed until records lie beyond partition 0's horizon: those of the other partitions wait in the intake.
    const heldFromMs = newestBefore + topology.features.labelDelayDays * DAY_MS - DEFAULT_LATENESS_MARGIN_MS;
    while ((feeder.lastEventTimeMs as number) < heldFromMs + 0.3 * DAY_MS) {
      if ((await feeder.feed(50)) === 0) throw new Error('the starve drill ran out of events: give it more (--events)');
    }
    // Until what can go has gone: the committed progress stops moving.
    let last = await watch.committed();
    for (let stable = 0, giveUp = Date.now() + remaining(90_000); stable < 8;) {
      if (Date.now() > giveUp) throw new Error('the committed progress never settled before the freeze');
      await sleep(250);
      const now = await watch.committed();
      stable = now === last ? stable + 1 : 0;
      last = now;
    }
    const end = (await watch.inputEnd()) ?? 0;

    // 2. Heartbeat silence longer than the lease, shorter than the session.
    const labels = Array.from({ length: LABELS }, (_, i) => ({
      key: `drill-${tag}-label-${i}`,
      value: producer.serde.encode(producer.labelSchemaId, {
        transaction_id: `drill-${tag}-label-${i}`,
        is_fraud: false,
        reported_at: newestBefore,
      }),
    }));
    let frozenAt = 0;
    stack.signal('redis', 'SIGSTOP');
    try {
      await producer.send(topology.topics.labels, labels);
      await sleep(1_500); // fetched; the batch loop waits for Redis
      pool.signal(worker, 'SIGSTOP');
      frozenAt = Date.now();
    } finally {
      stack.signal('redis', 'SIGCONT');
    }
    try {
      await sleepUntil(frozenAt + leaseMs - 2_000);
      stack.signal('kafka', 'SIGSTOP');
      await sleepUntil(frozenAt + leaseMs + 300);
    } finally {
      pool.signal(worker, 'SIGCONT');
      // Well within the session: the worker's last heartbeat was at most one interval (3 s) before its freeze.
      await sleepUntil(frozenAt + leaseMs + 1_300);
      stack.signal('kafka', 'SIGCONT');
    }
    const giveBack = await waitForLine(ctx, worker, 'give-back', frozenAt, 20_000);
    await sleep(5_000); // a rebalance, if the freeze cost the membership, shows by now
    const rewound = pool.intake.some((l) => l.instanceId === worker && l.kind === 'rewind' && l.atMs >= frozenAt);
    const rebalanced = pool.intake.some((l) => l.instanceId === worker && l.kind === 'rebalance' && l.atMs >= frozenAt);
    checks.push({
      name: 'a give-back while alignment held records back, and no rebalance after it',
      ok: giveBack !== undefined && giveBack.waiting > 0 && !rebalanced,
      detail:
        `${giveBack ? `gave back ${giveBack.waiting} waiting records` : 'NO give-back'}` +
        `${rewound ? ', sought back once a heartbeat confirmed the membership' : ''}` +
        `${rebalanced ? ', but the group REBALANCED (the freeze cost the membership: not the case under test)' : ''}`,
    });
    detail =
      `upstream transaction left open on partition 0; ${end - (last ?? 0)} readable records not committed (held ` +
      `back); Redis frozen, ${LABELS} labels, worker frozen ${((leaseMs + 300) / 1000).toFixed(1)} s ` +
      `(lease ${leaseMs / 1000} s, session ${sessionMs / 1000} s), broker frozen across its resume; ` +
      `${giveBack ? `give-back of ${giveBack.waiting} records` : 'no give-back'}${rewound ? ', rewound' : ''}` +
      `${rebalanced ? ', rebalanced' : ', no rebalance'}`;
  } finally {
    // 3. Upstream commits: what partition 0 held back can go, and so can everything waiting behind it.
    const endBefore = open
      ? await watch.waitFor(
          'the input end offsets',
          () => watch.inputEnd(),
          () => true,
          30_000,
        )
      : 0;
    await open?.commit().catch(() => open?.abort());
    await upstream.disconnect();
    // A partition that ends in a commit marker never shows its committed offset at its end: one record more after it.
    // After the marker, which the coordinator writes once the commit has returned: a record sent at once may land
    // before it, and the partition would end in the marker after all (the drill would wait for ever).
    if (open)
      await watch.waitFor(
        'the upstream commit marker',
        () => watch.inputEnd(),
        (end) => end > endBefore,
        30_000,
      );
    await producer.send(topology.topics.input, [
      { partition: 0, key: null, value: Buffer.from(`{"transaction_id":"drill-${tag}-after-open"}`) },
    ]);
  }
  return detail;
}

async function waitForLine(
  ctx: FaultContext,
  worker: string,
  kind: 'give-back',
  sinceMs: number,
  timeoutMs: number,
): Promise<{ waiting: number } | undefined> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    const line = ctx.pool.intake.find((l) => l.instanceId === worker && l.kind === kind && l.atMs >= sinceMs);
    if (line || Date.now() > giveUp) return line;
    await sleep(200);
  }
}
