import type { Topology } from '../../../src/config/index.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { startCli } from '../cli.js';
import type { TestProducer } from '../stack.js';
import type { Feeder } from './feeder.js';
import type { GroupWatch } from './progress.js';
import type { Persistence, StackControl } from './stack-control.js';
import { starvedGiveBack } from './starve.js';
import { killPhase, transactionState } from './transactions.js';
import type { DrillCheck, DrillOptions, FaultRecord } from './types.js';
import type { WorkerPool } from './workers.js';

/** What a fault needs of the drill that runs it (test/support/drill/run.ts). */
export interface FaultContext {
  readonly options: DrillOptions;
  readonly stack: StackControl;
  readonly persistence: Persistence;
  readonly pool: WorkerPool;
  readonly watch: GroupWatch;
  readonly topology: Topology;
  /** The topology's file, as the workers (and an operator's commands) read it. */
  readonly topologyFile: string;
  /** Instance ids of the first and second worker. */
  readonly ids: readonly string[];
  /** This drill's tag, for names it creates. */
  readonly tag: string;
  readonly random: () => number;
  /** A timeout of at most `capMs`, cut to what is left of the drill's time. */
  readonly remaining: (capMs: number) => number;
  readonly producer: TestProducer;
  readonly feeder: Feeder;
  /** Records fed per fault. */
  readonly chunk: number;
  /** Checks a fault makes on the spot (a registry outage must pause, say). */
  readonly checks: DrillCheck[];
  readonly killPhases: Record<string, number>;
  /** Set by the registry faults, read by the accounting. */
  readonly registry: { v2Id?: number; downAtMs?: number; backAtMs?: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Redis is back. With its append-only file it holds the state it had. Without, it is empty: the workers find the
 * absorbed-offset marker gone and refuse every batch (scoring paused, FraudscoreFeatureStateLost) until the state is
 * rebuilt, so the drill does what the paged operator does (`fraudscore docs runbook`): waits for the pause and runs
 * `fraudscore state rebuild` on the topology. The features check then holds the rebuilt state to an uninterrupted run.
 */
async function afterRedisBack(ctx: FaultContext, retriesBefore: number): Promise<string> {
  if (ctx.persistence.redisAppendOnly) return ' (AOF)';
  const t0 = Date.now();
  await ctx.watch.waitFor(
    'a batch refused on the lost feature state',
    () => Promise.resolve(ctx.pool.retries.slice(retriesBefore).some((r) => /feature state is behind/.test(r.err))),
    (paused) => paused,
    ctx.remaining(60_000),
    100,
  );
  const paused = Date.now() - t0;
  const rebuild = startCli(['state', 'rebuild', '-t', ctx.topologyFile, '--no-progress']);
  const code = await rebuild.exited;
  ctx.checks.push({
    name: 'an empty Redis paused scoring until `fraudscore state rebuild`',
    ok: code === 0,
    detail: rebuild.output().trim().split('\n').pop() ?? '',
  });
  if (code !== 0) throw new Error(`state rebuild exited ${code}: ${rebuild.output()}`);
  return (
    ` (empty: no persistence); scoring paused ${(paused / 1000).toFixed(1)} s after, ` +
    `\`state rebuild\` took ${((Date.now() - t0 - paused) / 1000).toFixed(1)} s`
  );
}

/**
 * Waits until every live worker is a member of the stable group with partitions (none of them one of `gone`, the
 * members before a kill); returns how long it took.
 */
export async function allMembers(ctx: FaultContext, gone: readonly string[] = []): Promise<number> {
  const { watch, pool, remaining } = ctx;
  const t0 = Date.now();
  await watch.waitFor(
    `all ${pool.ids().length} workers in the group`,
    () => watch.members(),
    (members) =>
      members.length === pool.ids().length &&
      members.every((m) => m.partitions.length > 0) &&
      members.some((m) => !gone.includes(m.memberId)),
    remaining(90_000),
    100,
  );
  return Date.now() - t0;
}

export async function injectFault(ctx: FaultContext, kind: FaultRecord['kind']): Promise<string> {
  const { options, stack, pool, watch, topology, ids, random, remaining, producer, feeder, chunk, checks } = ctx;
  const committed = () => watch.committed();
  switch (kind) {
    case 'kill':
    case 'rebalance kill': {
      const live = pool.ids();
      const victim = live[Math.floor(random() * live.length)] as string;
      const membersBefore = live.length > 1 ? await watch.members() : undefined;
      await pool.kill(victim);
      let where = 'unclassified';
      if (options.classifyKills ?? true) {
        const state = await transactionState(stack, `fraudscore.${topology.name}.${victim}`);
        where = `${killPhase(state)} (${state})`;
        ctx.killPhases[killPhase(state)] = (ctx.killPhases[killPhase(state)] ?? 0) + 1;
      }
      if (kind === 'rebalance kill' && live.length > 1) {
        // The survivor takes the victim's partitions once the victim's session expires; then the victim returns.
        const t0 = Date.now();
        await watch.waitFor(
          'the survivor to own every partition',
          () => watch.members(),
          (members) => members.length === 1 && members[0]?.partitions.length === topology.topics.partitions,
          remaining(90_000),
          250,
        );
        const takeover = Date.now() - t0;
        pool.start(victim);
        const rejoined = await allMembers(ctx);
        return `SIGKILL ${victim} of ${live.length} workers, ${where}; survivor owned all partitions after ${(takeover / 1000).toFixed(1)} s; ${victim} restarted and shared them again after ${(rejoined / 1000).toFixed(1)} s`;
      }
      pool.start(victim);
      // With two workers, the group must have replaced the victim's membership (its session expired).
      if (live.length > 1)
        await allMembers(
          ctx,
          membersBefore?.map((m) => m.memberId),
        );
      return `SIGKILL ${victim}${live.length > 1 ? ` of ${live.length} workers` : ''}, ${where}, restarted`;
    }
    case 'pause': {
      if (pool.ids().length < 2) {
        pool.start(ids[1] as string);
        await allMembers(ctx);
        await sleep(2_000); // both busy, so that the freeze may land inside a transaction
      }
      const live = pool.ids();
      const victim = live[Math.floor(random() * live.length)] as string;
      pool.signal(victim, 'SIGSTOP');
      const t0 = Date.now();
      let where = 'unclassified';
      if (options.classifyKills ?? true) {
        const state = await transactionState(stack, `fraudscore.${topology.name}.${victim}`);
        where = `${killPhase(state)} (${state})`;
      }
      await watch.waitFor(
        'the other worker to own every partition',
        () => watch.members(),
        (members) => members.length === 1 && members[0]?.partitions.length === topology.topics.partitions,
        remaining(90_000),
        250,
      );
      const takeover = Date.now() - t0;
      await sleep(3_000); // the other worker reprocesses what the frozen one held
      pool.signal(victim, 'SIGCONT');
      const rejoined = await allMembers(ctx);
      return `SIGSTOP ${victim} of ${live.length} workers, ${where}; the other owned every partition after ${(takeover / 1000).toFixed(1)} s; SIGCONT 3 s later; both shared them again after ${(rejoined / 1000).toFixed(1)} s`;
    }
    case 'starved give-back':
      return starvedGiveBack(ctx);
    case 'worker added': {
      const t0 = Date.now();
      pool.start(ids[1] as string);
      const members = await watch.waitFor(
        'two members sharing the partitions',
        () => watch.members(),
        (m) => m.length === 2 && m.every((member) => member.partitions.length > 0),
        remaining(90_000),
        100,
      );
      return `${ids[1]} joined; group stable with partitions ${members.map((m) => `[${m.partitions.join(',')}]`).join(' ')} after ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    }
    case 'broker restart': {
      const t0 = Date.now();
      await stack.restart('kafka');
      return `stack.sh restart kafka (SIGTERM, start): broker back after ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    }
    case 'redis down': {
      await stack.kill('redis');
      const before = await committed();
      // Longer than a batch window (and than several retries) on purpose.
      const outageMs = Math.max(5_000, 10 * (options.maxWaitMs ?? 100));
      await sleep(outageMs);
      const during = await committed();
      const retriesBefore = pool.retries.length;
      await stack.up('redis');
      return `SIGKILL redis, down ${outageMs / 1000} s (${(during ?? 0) - (before ?? 0)} records committed meanwhile: batches scored before the kill), up${await afterRedisBack(ctx, retriesBefore)}`;
    }
    case 'redis restart': {
      const retriesBefore = pool.retries.length;
      await stack.restart('redis');
      return `stack.sh restart redis${await afterRedisBack(ctx, retriesBefore)}`;
    }
    case 'registry outage': {
      await stack.kill('registry');
      const retriesBefore = pool.retries.length;
      // Upstream now writes with the v2 schema: an id the pipeline has never seen, while the registry is away.
      const upstream = feeder as Feeder;
      upstream.schemaId = ctx.registry.v2Id as number;
      const v2 = await upstream.feed(Math.min(500, Math.max(100, Math.floor(chunk / 2))));
      await sleep(5_000);
      const during = await committed();
      const end = await watch.inputEnd();
      const waiting = pool.retries.slice(retriesBefore).filter((r) => /did not answer for schema/.test(r.err)).length;
      const paused = during !== undefined && end !== undefined && during < end && waiting > 0;
      checks.push({
        name: 'a never-seen schema id waits for the registry (not dead-lettered)',
        ok: paused,
        detail: `${end !== undefined && during !== undefined ? end - during : '?'} records waiting, ${waiting} retries naming the schema`,
      });
      await stack.up('registry');
      return `SIGKILL registry; ${v2} records with never-seen schema id ${ctx.registry.v2Id} fed; after 5 s ${paused ? 'paused' : 'NOT paused'} (${waiting} retries, committed ${during} of ${end}); up with its schemas (file storage)`;
    }
    case 'registry reset': {
      // Back to the stack's default, in-memory storage: the restarted registry is empty and its ids restart at 1.
      stack.setPersistence({ ...ctx.persistence, registryFile: false });
      await stack.kill('registry');
      ctx.registry.downAtMs = Date.now();
      await stack.up('registry');
      ctx.registry.backAtMs = Date.now();
      // Another tenant registers first, so the ids the pipeline had now mean other schemas.
      const taken: number[] = [];
      for (let i = 0; i < 8; i++) {
        const other = {
          type: 'record',
          name: `Other${i}`,
          namespace: 'drill.tenant',
          fields: [{ name: `f${i}`, type: 'long' }],
        };
        taken.push(await producer.serde.register(`drill-${ctx.tag}-other-${i}-value`, other));
      }
      // Upstream restarts too: registers its schema again and writes with the new id.
      const upstream = feeder as Feeder;
      upstream.schemaId = await producer.serde.register(
        `${topology.topics.input}-value`,
        readContractSchema('transaction'),
      );
      return `SIGKILL registry, up empty (in-memory); another tenant took ids ${taken.join(',')}; upstream re-registered (id ${upstream.schemaId})`;
    }
  }
}
