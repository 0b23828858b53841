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
import { injectFault, type FaultContext } from './faults.js';
import type { DrillCheck, DrillOptions, DrillReport, FaultRecord, Scenario } from './types.js';
import { WorkerPool } from './workers.js';

export * from './types.js';

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

/** A transaction schema v2 (compatible both ways: one optional field more), which the pipeline has never seen. */
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

/** noTrickle: the fault feeds what it needs itself (records arriving meanwhile would blur what it sets up). */
type Step = { kind: FaultRecord['kind']; afterFullCatchUp?: boolean; noTrickle?: boolean };

function plan(options: DrillOptions): Step[] {
  const has = (s: Scenario) => options.scenarios.includes(s);
  const kills = has('kill') ? options.kills : 0;
  const steps: Step[] = Array.from({ length: Math.ceil(kills / 2) }, () => ({ kind: 'kill' as const }));
  if (has('broker')) steps.push({ kind: 'broker restart' });
  if (has('redis')) steps.push({ kind: 'redis down' }, { kind: 'redis restart' });
  if (has('registry')) steps.push({ kind: 'registry outage' }, { kind: 'registry reset', afterFullCatchUp: true });
  if (has('rebalance')) steps.push({ kind: 'worker added' }, { kind: 'rebalance kill' });
  if (has('pause')) steps.push({ kind: 'pause' });
  if (has('starve')) steps.push({ kind: 'starved give-back', afterFullCatchUp: true, noTrickle: true });
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
    // Every write fsynced: a SIGKILL loses nothing (see deploy/local/fault-test.sh).
    await redis.config('SET', 'appendfsync', 'always');
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
  const registry: FaultContext['registry'] = {};
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
    const context: FaultContext = {
      options,
      stack,
      persistence,
      pool,
      watch,
      topology,
      topologyFile: file,
      ids,
      tag,
      random,
      remaining,
      producer,
      feeder,
      chunk,
      checks,
      killPhases,
      registry,
    };
    log(`drill: ${options.events} events, ${steps.length} faults, ~${chunk} records per fault, seed ${seed}`);
    log(`drill: topology ${topology.name}, group ${topology.consumerGroup}, workers log to ${options.logDir}`);
    pool.start(ids[0] as string);

    for (const [index, step] of steps.entries()) {
      const exitsBefore = pool.unexpectedExits.length;
      const retriesBefore = pool.retries.length;
      const base = await watch.waitFor('committed offsets', committed, () => true, remaining(60_000));
      if (step.kind === 'registry outage') {
        // Registered before the outage (a second for H2 to write it to disk), used only once the registry is away.
        registry.v2Id = await producer.serde.register(`${topology.topics.input}-value`, transactionV2());
        await sleep(1_500);
      }
      const fed = await feeder.feed(chunk);
      if (fed === 0) throw new Error(`the drill ran out of events at fault ${index + 1}: give it more (--events)`);
      // Strike while the chunk is being processed: after a random share of it is committed.
      const share = step.afterFullCatchUp ? 1 : 0.05 + random() * 0.85;
      const target = base + Math.max(1, Math.floor(share * fed));
      await watch.waitFor(`progress to ${target}`, committed, (c) => c >= target, remaining(150_000), 20);
      await sleep(Math.floor(random() * 40));
      // Records keep arriving through every fault: batches are in flight when it strikes, records wait while it
      // lasts, and catching up afterwards measures the recovery.
      const trickle = step.noTrickle ? undefined : feeder.trickle(TRICKLE_PER_SECOND, 2 * chunk);
      const faultAt = Date.now();
      let faultMs = 0;
      let detail: string;
      try {
        detail = await injectFault(context, step.kind);
      } finally {
        faultMs = Date.now() - faultAt;
        const trickled = (await trickle?.stop()) ?? 0;
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
    const backAt = registry.backAtMs;
    const after = (use: SchemaIdUse) =>
      backAt === undefined ? use.records : use.atMs.filter((t) => t >= backAt).length;
    const stale = outcome.schemaIds.filter((use) => use.resolves !== 'expected' && after(use) > 0);
    const during = (use: SchemaIdUse) =>
      use.atMs.filter((t) => t >= (registry.downAtMs ?? Infinity) && t < (backAt ?? 0)).length;
    const describe = (use: SchemaIdUse) =>
      `${use.topic.replace(/^.*\./, '')}#${use.schemaId} ${use.resolves}: ${use.records}` +
      (backAt !== undefined ? ` (${during(use)} while it was down, ${after(use)} after it came back empty)` : '');
    // Replays (after kills, aborted transactions, retries), Redis restarts and the rebuild after an empty one must
    // leave the state as an uninterrupted run would have it.
    const features = outcome.features;
    checks.push({
      name: 'customer and terminal features as an uninterrupted run',
      ok: features.differing === 0 && features.compared > 0,
      detail: `${features.differing} of ${features.compared} scores differ ${features.examples.join('; ')}`,
    });
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
}
