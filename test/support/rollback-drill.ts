import { createPipeline, type PipelineContext } from '../../src/runtime/context.js';
import { createLogger, logLevelFor } from '../../src/adapters/observability/logger.js';
import { lifecycleTopology, manyCustomerEvents, sendEvents, testOperations, waitForApplied } from './lifecycle.js';
import { deleteTopics, readCommitted, testProducer } from './stack.js';

export interface RollbackDrillOptions {
  readonly events: number;
  /** Events per produce call, and the pause between calls: the load the workers score under. */
  readonly chunk: number;
  readonly chunkPauseMs: number;
  readonly challengerPercent: number;
  /** Fraction of the events sent before the flip: drawn in [min, max). */
  readonly flipBetween: readonly [number, number];
  readonly random?: () => number;
  readonly log?: (line: string) => void;
}

export interface WorkerEffect {
  readonly instance: string;
  /** From the control record's write to the worker's switch at a batch boundary. */
  readonly applyMs: number;
  /** From the flip to the first batch this worker scored with the rollback target. */
  readonly firstKilledBatchMs: number | null;
  readonly records: number;
}

export interface RollbackDrillResult {
  readonly events: number;
  readonly flipAtMs: number;
  readonly flipAfterEvents: number;
  readonly killVersion: number;
  readonly target: string;
  readonly workers: readonly WorkerEffect[];
  /** From the flip to the last worker scoring with the rollback target. */
  readonly fullEffectMs: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Records scored after the full-effect time (or under the kill's control version) not decided by the target. */
  readonly wrongAfterEffect: number;
  readonly killedRecords: number;
  readonly challengerRecordsBefore: number;
  readonly ok: boolean;
}

/**
 * The rollback drill: two workers score a stream with a challenger at `challengerPercent`, the kill switch is flipped
 * at a random moment under load, and the drill measures, per worker, the time from the flip to the switch, then
 * checks that no record was lost or scored twice and that every record scored after the effect decided by the
 * rollback target.
 */
export async function runRollbackDrill(options: RollbackDrillOptions): Promise<RollbackDrillResult> {
  const say = options.log ?? (() => undefined);
  const random = options.random ?? Math.random;
  const { topology, topics } = lifecycleTopology({ maxRecords: 500, maxWaitMs: 200, partitions: 4 });
  const ops = testOperations(topology, 'rollback-drill');
  const log = createLogger({ name: 'drill', level: logLevelFor('warn', process.env, 'TEST_LOG_LEVEL') });
  const workers: PipelineContext[] = [];
  const producer = await testProducer(topology);
  try {
    for (const instanceId of ['w1', 'w2']) {
      const pipeline = await createPipeline({ topology, instanceId, metricsPort: 0, log });
      void pipeline.runner.start();
      workers.push(pipeline);
    }
    const rollout = await ops.rolloutStart('card-fraud@2', {
      plan: [options.challengerPercent, 100],
      stepMs: 3_600_000,
      reason: 'rollback drill: challenger live',
    });
    for (const worker of workers) await waitForApplied(worker.metricsAddress, rollout.version);
    say(`2 workers up; challenger card-fraud@2 at ${options.challengerPercent} % (control v${rollout.version})`);

    const events = manyCustomerEvents(options.events, 'drill');
    const [lo, hi] = options.flipBetween;
    const flipAfter = Math.floor(options.events * (lo + random() * (hi - lo)));
    let flip: Awaited<ReturnType<typeof ops.killOn>> | undefined;
    let flipping: Promise<void> | undefined;
    for (let sent = 0; sent < events.length; sent += options.chunk) {
      await sendEvents(producer, topology, events.slice(sent, sent + options.chunk));
      if (!flipping && sent + options.chunk >= flipAfter) {
        say(`flipping the kill switch after ${sent + options.chunk} events`);
        flipping = ops.killOn('rollback drill').then((record) => void (flip = record));
      }
      await new Promise((resolve) => setTimeout(resolve, options.chunkPauseMs));
    }
    await flipping;
    if (!flip) throw new Error('the kill switch was not flipped');
    const killed = flip;
    const statuses = await Promise.all(workers.map((w) => waitForApplied(w.metricsAddress, killed.version, 60_000)));

    const outputs = await readCommitted(
      [topology.topics.output, topology.topics.deadLetter],
      (r) => r.length >= events.length,
      120_000,
      { settleMs: 1_000 },
    );
    const scores = outputs.filter((r) => r.topic === topology.topics.output);
    const seen = new Map<string, number>();
    for (const r of scores)
      seen.set(r.value['transaction_id'] as string, (seen.get(r.value['transaction_id'] as string) ?? 0) + 1);
    const lost = events.filter((e) => !seen.has(e.transaction_id)).length;
    const duplicated = [...seen.values()].filter((n) => n > 1).length;

    const target = killed.state.killSwitch.target as string;
    const fullEffectAt = Math.max(...statuses.map((s) => s.appliedAtMs ?? Number.POSITIVE_INFINITY));
    let wrong = 0;
    let killedRecords = 0;
    let challengerBefore = 0;
    const effects: WorkerEffect[] = workers.map((worker, i) => {
      const prefix = `${topology.name}-${worker.instanceId}-`;
      const mine = scores.filter((r) => (r.value['batch_id'] as string).startsWith(prefix));
      const firstKilled = mine
        .filter((r) => (r.value['control_version'] as number) >= killed.version)
        .reduce((min, r) => Math.min(min, r.value['scored_at'] as number), Number.POSITIVE_INFINITY);
      return {
        instance: worker.instanceId,
        applyMs: (statuses[i]?.appliedAtMs ?? Number.NaN) - killed.atMs,
        firstKilledBatchMs: Number.isFinite(firstKilled) ? firstKilled - killed.atMs : null,
        records: mine.length,
      };
    });
    for (const r of scores) {
      const underKill = (r.value['control_version'] as number) >= killed.version;
      const afterEffect = (r.value['scored_at'] as number) > fullEffectAt;
      const byTarget =
        r.value['route'] === 'kill_switch' &&
        `${String(r.value['model_name'])}@${String(r.value['model_version'])}` === target;
      if ((underKill || afterEffect) && !byTarget) wrong++;
      if (underKill) killedRecords++;
      if (!underKill && r.value['route'] === 'challenger') challengerBefore++;
    }
    const fullEffectMs = fullEffectAt - killed.atMs;
    return {
      events: events.length,
      flipAtMs: killed.atMs,
      flipAfterEvents: flipAfter,
      killVersion: killed.version,
      target,
      workers: effects,
      fullEffectMs,
      lost,
      duplicated,
      wrongAfterEffect: wrong,
      killedRecords,
      challengerRecordsBefore: challengerBefore,
      ok: lost === 0 && duplicated === 0 && wrong === 0 && fullEffectMs < 60_000,
    };
  } finally {
    for (const worker of workers) await worker.close().catch(() => undefined);
    await producer.close();
    await deleteTopics(topics);
  }
}

export function formatRollbackDrill(result: RollbackDrillResult): string[] {
  const s = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(3)} s`);
  return [
    `rollback drill: ${result.events} events, kill switch flipped after ~${result.flipAfterEvents} (control v${result.killVersion}, target ${result.target})`,
    ...result.workers.map(
      (w) =>
        `  ${w.instance}: switched ${s(w.applyMs)} after the flip; first batch on the target ${s(w.firstKilledBatchMs)}; ${w.records} records`,
    ),
    `  time to full effect (flip -> last worker on the rollback target): ${s(result.fullEffectMs)} (goal < 60 s, aim < 5 s)`,
    `  records decided by the challenger before the flip: ${result.challengerRecordsBefore}; under the kill: ${result.killedRecords}`,
    `  lost ${result.lost}, duplicated ${result.duplicated}, decided by another model after the effect: ${result.wrongAfterEffect}`,
    `  ${result.ok ? 'PASS' : 'FAIL'}`,
  ];
}
