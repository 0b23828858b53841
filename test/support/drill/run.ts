import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import { createTopics, deleteTopics, testProducer, testTopology, type TestProducer } from '../stack.js';
import { connectTestRedis } from '../redis.js';
import { Feeder } from './feeder.js';
import { accountOutcomes, type OutcomeReport, type SchemaIdUse } from './outcomes.js';
import { GroupWatch } from './progress.js';
import { StackControl } from './stack-control.js';
import { killPhase, transactionState } from './transactions.js';
import { WorkerPool, type WorkerExit } from './workers.js';

export const SCENARIOS = ['kill', 'broker', 'redis', 'registry', 'rebalance'] as const;
/**
 * Not in the default mix: "pause" freezes one of two workers (SIGSTOP) for longer than its session, lets the other
 * take its partitions, then resumes it: a zombie. kafkajs commits offsets in a transaction without the group
 * generation (TxnOffsetCommit v0/v1, no KIP-447 fencing), so this drill shows what a zombie can do.
 */
export const EXTRA_SCENARIOS = ['pause'] as const;
export type Scenario = (typeof SCENARIOS)[number] | (typeof EXTRA_SCENARIOS)[number];

export interface DrillOptions {
  readonly events: number;
  /** SIGKILLs of a worker (scenario "kill"); half before the other faults, half after. */
  readonly kills: number;
  readonly scenarios: readonly Scenario[];
  /** Small batches put more kills inside a transaction. 100 is the topology's minimum. */
  readonly maxRecords?: number;
  readonly maxWaitMs?: number;
  readonly partitions?: number;
  /** Seeds the kill moments and victims, so that a drill can be run again the same way. */
  readonly seed?: number;
  /**
   * Redis with its append-only file (fsync every second), as production must run it: default on. Off, a Redis restart
   * empties the feature state and the drill reports how many scores then differ from an uninterrupted run.
   */
  readonly redisAppendOnly?: boolean;
  /** Ask the transaction coordinator, after each kill, where it landed (a JVM start per kill: ~4 s). */
  readonly classifyKills?: boolean;
  /** The whole drill gives up (and fails) after this long. */
  readonly timeLimitMs?: number;
  /** Worker logs go here. */
  readonly logDir: string;
  readonly log?: (line: string) => void;
}

export interface FaultRecord {
  readonly kind:
    | 'kill'
    | 'broker restart'
    | 'redis down'
    | 'redis restart'
    | 'registry outage'
    | 'registry reset'
    | 'worker added'
    | 'rebalance kill'
    | 'pause';
  readonly detail: string;
  /** How long injecting the fault took (the outage, for a service; kill, inspection and restart, for a worker). */
  readonly faultMs: number;
  /** From the end of the fault to every record fed so far committed; undefined if that never happened. */
  readonly caughtUpMs?: number;
  /** Workers that exited on their own during the fault and its recovery (restarted by the pool). */
  readonly workerExits: number;
  /** "batch failed; retrying" lines the workers logged during the fault and its recovery. */
  readonly retries: number;
}

export interface DrillCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillReport {
  readonly scenarios: readonly Scenario[];
  readonly seed: number;
  readonly topology: string;
  readonly durationMs: number;
  readonly faults: FaultRecord[];
  readonly killPhases: Record<string, number>;
  readonly unexpectedExits: WorkerExit[];
  readonly retriesByStage: Record<string, number>;
  readonly maxRetryDelayMs: number;
  readonly workerStarts: number;
  readonly stopCodes: Record<string, number | null>;
  readonly producerSendRetries: number;
  readonly outcome: OutcomeReport | undefined;
  readonly checks: DrillCheck[];
  readonly ok: boolean;
  readonly error?: string;
}

/** mulberry32: a small seeded generator, so that a drill's kill moments can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Records a second that keep arriving during a fault: enough to keep a worker busy, not to bury it. */
const TRICKLE_PER_SECOND = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A transaction schema v2 (BACKWARD compatible: one optional field more), which the pipeline has never seen. */
function transactionV2(): object {
  const v1 = readContractSchema('transaction') as { fields: object[] };
  return {
    ...v1,
    fields: [...v1.fields, { name: 'drill_marker', type: ['null', 'string'], default: null }],
  };
}

function registryStorageIsFile(): boolean {
  try {
    const state = process.env['FRAUDSCORE_STATE'] as string;
    const pid = readFileSync(join(state, 'registry', 'registry.pid'), 'utf8').trim();
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('jdbc:h2:file:');
  } catch {
    return false;
  }
}

type Step = { kind: FaultRecord['kind']; afterFullCatchUp?: boolean };

function plan(options: DrillOptions): Step[] {
  const has = (s: Scenario) => options.scenarios.includes(s);
  const kills = has('kill') ? options.kills : 0;
  const steps: Step[] = Array.from({ length: Math.ceil(kills / 2) }, () => ({ kind: 'kill' as const }));
  if (has('broker')) steps.push({ kind: 'broker restart' });
  if (has('redis')) steps.push({ kind: 'redis down' }, { kind: 'redis restart' });
  if (has('registry')) steps.push({ kind: 'registry outage' }, { kind: 'registry reset', afterFullCatchUp: true });
  if (has('rebalance')) steps.push({ kind: 'worker added' }, { kind: 'rebalance kill' });
  if (has('pause')) steps.push({ kind: 'pause' });
  for (let i = 0; i < Math.floor(kills / 2); i++) steps.push({ kind: 'kill' });
  return steps;
}

/**
 * Runs one drill against the drill stack: an isolated topology, one worker (two from the rebalance on), the input fed
 * in chunks, one fault per chunk while the chunk is being processed, then everything accounted by input position.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? Number.parseInt(randomBytes(4).toString('hex'), 16);
  const random = seeded(seed);
  const steps = plan(options);
  const deadline = started + (options.timeLimitMs ?? 120_000 + steps.length * 150_000);
  const remaining = (cap: number) => Math.max(1_000, Math.min(cap, deadline - Date.now()));

  const stack = new StackControl();
  const persistence = { redisAppendOnly: options.redisAppendOnly ?? true, registryFile: false };
  stack.setPersistence(persistence);
  log(`drill: bringing the drill stack up (state ${process.env['FRAUDSCORE_STATE']})`);
  await stack.up();
  if (persistence.redisAppendOnly) {
    // A Redis already running without it switches at once (an AOF rewrite); its restarts below load the file.
    const redis = connectTestRedis();
    await redis.config('SET', 'appendonly', 'yes');
    await redis.config('SET', 'appendfsync', 'everysec');
    redis.disconnect();
  }
  if (options.scenarios.includes('registry') && !registryStorageIsFile()) {
    // The outage step needs a registry that keeps its schemas, as a production one does.
    log('drill: restarting the registry with file storage');
    stack.setPersistence({ ...persistence, registryFile: true });
    await stack.restart('registry');
  } else if (registryStorageIsFile()) {
    stack.setPersistence({ ...persistence, registryFile: true });
  }

  const { topology, file, topics } = testTopology({
    maxRecords: options.maxRecords ?? 100,
    maxWaitMs: options.maxWaitMs ?? 100,
    partitions: options.partitions ?? 4,
  });
  // Instance ids without '-': the batch id (`<topology>-<instance>-...`) then tells which worker wrote an outcome.
  const tag = randomBytes(3).toString('hex');
  const ids = [`a${tag}`, `b${tag}`];
  const pool = new WorkerPool(file, join(options.logDir, topology.consumerGroup));
  const watch = new GroupWatch(topology.consumerGroup, topology.topics.input);
  const faults: FaultRecord[] = [];
  const killPhases: Record<string, number> = {};
  const checks: DrillCheck[] = [];
  const transactionTypes = [
    avro.Type.forSchema(readContractSchema('transaction') as avro.Schema),
    avro.Type.forSchema(transactionV2() as avro.Schema),
  ];
  let producer: TestProducer | undefined;
  let feeder: Feeder | undefined;
  let chunk = 0;
  let outcome: OutcomeReport | undefined;
  let stopCodes: Record<string, number | null> = {};
  /** When the in-memory registry came back empty (registry reset). */
  let registryBackAtMs: number | undefined;
  let registryDownAtMs: number | undefined;
  let v2Id: number | undefined;
  let error: string | undefined;

  const committed = () => watch.committed();
  const caughtUp = async (what: string, timeoutMs: number) => {
    const end = await watch.waitFor(
      'the input end offsets',
      () => watch.inputEnd(),
      () => true,
      remaining(60_000),
    );
    await watch.waitFor(what, committed, (c) => c >= end, remaining(timeoutMs), 100);
  };

  try {
    await createTopics(topics, topology.topics.partitions);
    producer = await testProducer(topology);
    feeder = new Feeder(producer, topology.topics.input, options.events, `drill-${tag}`);
    // Each fault may also take up to two chunks of trickle (the last records, when they run short).
    chunk = Math.max(100, Math.floor(options.events / (3 * steps.length + 1)));
    log(`drill: ${options.events} events, ${steps.length} faults, ~${chunk} records per fault, seed ${seed}`);
    log(`drill: topology ${topology.name}, group ${topology.consumerGroup}, workers log to ${options.logDir}`);
    pool.start(ids[0] as string);

    for (const [index, step] of steps.entries()) {
      const exitsBefore = pool.unexpectedExits.length;
      const retriesBefore = pool.retries.length;
      const base = await watch.waitFor('committed offsets', committed, () => true, remaining(60_000));
      if (step.kind === 'registry outage') {
        // Registered before the outage (a second for H2 to write it to disk), used only once the registry is away.
        v2Id = await producer.serde.register(`${topology.topics.input}-value`, transactionV2());
        await sleep(1_500);
      }
      const fed = await feeder.feed(chunk);
      // Strike while the chunk is being processed: after a random share of it is committed.
      const share = step.afterFullCatchUp ? 1 : 0.05 + random() * 0.85;
      const target = base + Math.max(1, Math.floor(share * fed));
      await watch.waitFor(`progress to ${target}`, committed, (c) => c >= target, remaining(150_000), 20);
      await sleep(Math.floor(random() * 40));
      // Records keep arriving through every fault: batches are in flight when it strikes, records wait while it
      // lasts, and catching up afterwards measures the recovery.
      const trickle = feeder.trickle(TRICKLE_PER_SECOND, 2 * chunk);
      const faultAt = Date.now();
      let faultMs = 0;
      let detail: string;
      try {
        detail = await inject(step.kind);
      } finally {
        faultMs = Date.now() - faultAt;
        const trickled = await trickle.stop();
        detail = `${detail!}; ${trickled} records arrived meanwhile`;
      }
      let caughtUpMs: number | undefined;
      try {
        await caughtUp(`recovery from ${step.kind}`, 180_000);
        caughtUpMs = Date.now() - faultAt - faultMs;
      } catch (failure) {
        checks.push({ name: `recovered from ${step.kind} #${index + 1}`, ok: false, detail: String(failure) });
        throw failure;
      }
      const fault = {
        kind: step.kind,
        detail,
        faultMs,
        caughtUpMs,
        workerExits: pool.unexpectedExits.length - exitsBefore,
        retries: pool.retries.length - retriesBefore,
      };
      faults.push(fault);
      log(
        `drill: ${String(index + 1).padStart(2)}/${steps.length} ${step.kind}: ${detail}; all committed ` +
          `${(caughtUpMs / 1000).toFixed(1)} s after it (worker exits ${fault.workerExits}, retries ${fault.retries})`,
      );
    }

    await feeder.feed(feeder.remaining);
    await caughtUp('the last records', 180_000);
    stopCodes = await pool.stopAll();
    log(`drill: workers stopped (exit codes ${JSON.stringify(stopCodes)}); accounting ...`);
    outcome = await accountOutcomes(topology, {
      inputCount: feeder.produced,
      transactionTypes,
      workerIds: ids,
      // A worker killed inside a transaction blocks read_committed readers until its successor aborts it.
      timeoutMs: remaining(180_000),
      settleMs: 3_000,
    });

    // The checks of invariant 3 and of what each fault must not do.
    checks.push(
      { name: 'lost', ok: outcome.lost === 0, detail: `${outcome.lost} ${outcome.examples.lost.join(' ')}` },
      {
        name: 'duplicated',
        ok: outcome.duplicated === 0,
        detail: `${outcome.duplicated} ${outcome.examples.duplicated.join(' ')}`,
      },
      {
        name: 'unexpected outcomes',
        ok: outcome.unexpected === 0,
        detail: `${outcome.unexpected} ${outcome.examples.unexpected.join(' ')}`,
      },
      {
        name: 'records in = outcomes out',
        ok: outcome.inputs === outcome.outcomes && outcome.inputs >= feeder.produced,
        detail: `${outcome.inputs} in (${feeder.produced} fed, ${feeder.sendRetries} sends retried), ${outcome.outcomes} out`,
      },
      {
        name: 'dead letters only for hostile records',
        ok: outcome.deadLetters === outcome.invalidInputs,
        detail: `${outcome.deadLetters} dead letters for ${outcome.invalidInputs} invalid inputs: ${JSON.stringify(outcome.deadLetterReasons)}`,
      },
      {
        name: 'clean stop',
        ok: Object.values(stopCodes).every((code) => code === 0),
        detail: JSON.stringify(stopCodes),
      },
    );
    // An in-memory registry that restarts forgets every id: outputs published while it was away carry ids it no
    // longer knows (nothing can be done about those but to run a registry that keeps its state). Every output
    // published after it came back must carry an id that means its contract schema.
    const backAt = registryBackAtMs;
    const after = (use: SchemaIdUse) =>
      backAt === undefined ? use.records : use.atMs.filter((t) => t >= backAt).length;
    const stale = outcome.schemaIds.filter((use) => use.resolves !== 'expected' && after(use) > 0);
    const during = (use: SchemaIdUse) =>
      use.atMs.filter((t) => t >= (registryDownAtMs ?? Infinity) && t < (backAt ?? 0)).length;
    const describe = (use: SchemaIdUse) =>
      `${use.topic.replace(/^.*\./, '')}#${use.schemaId} ${use.resolves}: ${use.records}` +
      (backAt !== undefined ? ` (${during(use)} while it was down, ${after(use)} after it came back empty)` : '');
    checks.push({
      name: 'output schema ids mean the contract schemas in the registry',
      ok: stale.length === 0,
      detail: outcome.schemaIds.map(describe).join(', '),
    });
  } catch (failure) {
    error = (failure as Error).stack ?? String(failure);
    log(`drill: FAILED: ${(failure as Error).message}`);
  } finally {
    if (Object.keys(stopCodes).length === 0) await pool.stopAll();
    await producer?.close().catch(() => undefined);
    await watch.close();
    await deleteTopics(topics).catch(() => undefined);
  }

  const retriesByStage: Record<string, number> = {};
  for (const retry of pool.retries) retriesByStage[retry.stage] = (retriesByStage[retry.stage] ?? 0) + 1;
  const ok = error === undefined && checks.length > 0 && checks.every((check) => check.ok);
  return {
    scenarios: options.scenarios,
    seed,
    topology: topology.consumerGroup,
    durationMs: Date.now() - started,
    faults,
    killPhases,
    unexpectedExits: pool.unexpectedExits,
    retriesByStage,
    maxRetryDelayMs: Math.max(0, ...pool.retries.map((r) => r.delayMs)),
    workerStarts: pool.starts,
    stopCodes,
    producerSendRetries: feeder?.sendRetries ?? 0,
    outcome,
    checks,
    ok,
    ...(error ? { error } : {}),
  };

  /**
   * Waits until every live worker is a member of the stable group with partitions (none of them one of `gone`, the
   * members before a kill); returns how long it took.
   */
  async function allMembers(gone: readonly string[] = []): Promise<number> {
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

  async function inject(kind: FaultRecord['kind']): Promise<string> {
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
          killPhases[killPhase(state)] = (killPhases[killPhase(state)] ?? 0) + 1;
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
          const rejoined = await allMembers();
          return `SIGKILL ${victim} of ${live.length} workers, ${where}; survivor owned all partitions after ${(takeover / 1000).toFixed(1)} s; ${victim} restarted and shared them again after ${(rejoined / 1000).toFixed(1)} s`;
        }
        pool.start(victim);
        // With two workers, the group must have replaced the victim's membership (its session expired).
        if (live.length > 1) await allMembers(membersBefore?.map((m) => m.memberId));
        return `SIGKILL ${victim}${live.length > 1 ? ` of ${live.length} workers` : ''}, ${where}, restarted`;
      }
      case 'pause': {
        if (pool.ids().length < 2) {
          pool.start(ids[1] as string);
          await allMembers();
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
        const rejoined = await allMembers();
        return `SIGSTOP ${victim} of ${live.length} workers, ${where}; the other owned every partition after ${(takeover / 1000).toFixed(1)} s; SIGCONT 3 s later; both shared them again after ${(rejoined / 1000).toFixed(1)} s`;
      }
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
        await stack.up('redis');
        return `SIGKILL redis, down ${outageMs / 1000} s (${(during ?? 0) - (before ?? 0)} records committed meanwhile: batches scored before the kill), up${persistence.redisAppendOnly ? ' (AOF)' : ' (empty: no persistence)'}`;
      }
      case 'redis restart': {
        await stack.restart('redis');
        return `stack.sh restart redis${persistence.redisAppendOnly ? ' (AOF)' : ' (empty: no persistence)'}`;
      }
      case 'registry outage': {
        await stack.kill('registry');
        const retriesBefore = pool.retries.length;
        // Upstream now writes with the v2 schema: an id the pipeline has never seen, while the registry is away.
        const upstream = feeder as Feeder;
        upstream.schemaId = v2Id as number;
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
        return `SIGKILL registry; ${v2} records with never-seen schema id ${v2Id} fed; after 5 s ${paused ? 'paused' : 'NOT paused'} (${waiting} retries, committed ${during} of ${end}); up with its schemas (file storage)`;
      }
      case 'registry reset': {
        // Back to the stack's default, in-memory storage: the restarted registry is empty and its ids restart at 1.
        stack.setPersistence({ ...persistence, registryFile: false });
        await stack.kill('registry');
        registryDownAtMs = Date.now();
        await stack.up('registry');
        registryBackAtMs = Date.now();
        // Another tenant registers first, so the ids the pipeline had now mean other schemas.
        const taken: number[] = [];
        for (let i = 0; i < 8; i++) {
          const other = {
            type: 'record',
            name: `Other${i}`,
            namespace: 'drill.tenant',
            fields: [{ name: `f${i}`, type: 'long' }],
          };
          taken.push(await (producer as TestProducer).serde.register(`drill-${tag}-other-${i}-value`, other));
        }
        // Upstream restarts too: registers its schema again and writes with the new id.
        const upstream = feeder as Feeder;
        upstream.schemaId = await (producer as TestProducer).serde.register(
          `${topology.topics.input}-value`,
          readContractSchema('transaction'),
        );
        return `SIGKILL registry, up empty (in-memory); another tenant took ids ${taken.join(',')}; upstream re-registered (id ${upstream.schemaId})`;
      }
    }
  }
}
