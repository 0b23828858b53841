import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolateTopology, loadTopology, type Topology } from '../config/index.js';
import { resolvedPath } from '../config/resolved-path.js';
import { createKafka } from '../adapters/kafka/kafka-client.js';
import { ControlFollower } from '../adapters/kafka/control/index.js';
import { createLogger, logLevelFor } from '../adapters/observability/logger.js';
import { buildShadowReport, formatChecklist } from '../core/report/shadow-report.js';
import { renderShadowHtml, renderShadowMarkdown } from '../core/report/shadow-render.js';
import { controllerStep, controllerWriter, formatVerdict } from '../lifecycle/controller.js';
import { controlOperations } from '../lifecycle/operations.js';
import { labelClock, ScoreFollower } from '../lifecycle/score-reader.js';
import { createPipeline, type PipelineContext } from '../runtime/context.js';
import { kafkaSettingsFromTopology, simulateToKafka } from '../simulate/index.js';
import { catchStopSignals, StoppedBySignal, type CaughtStopSignals } from '../adapters/process/stop-signals.js';
import { removeRunData } from './run-data.js';
import { withTemporaryDirectory } from './temporary-directory.js';
import { makeDirectories } from '../adapters/files/make-directories.js';

export interface LifecycleDemoOptions {
  readonly topologyFile: string;
  readonly days: number;
  readonly seed: number;
  readonly minRecords: number;
  readonly out: NodeJS.WriteStream;
  readonly reportDir: string;
  readonly latencySloMs: number;
  readonly workers: number;
}

/** The committed registry, and the deliberately broken challenger the demo rolls back (a test fixture). */
const REGISTRY_SOURCES = ['registry', 'test/fixtures/broken-registry'] as const;
/** The registry copy's name under the system's temporary directory. */
const REGISTRY_COPY_PREFIX = 'fraudscore-demo-registry-';

/**
 * The model lifecycle on simulated traffic, end to end on the local stack: two workers; card-fraud@2 in shadow (and
 * its report); a staged rollout 1 → 5 → 25 → 50 → 100 % judged by the rollout controller's gates; a deliberately broken
 * challenger rolled back automatically; a kill switch flipped and timed. Everything runs in a namespace of its own
 * and a copy of the registry (the promotion writes the copy, never the committed registry).
 */
export async function runLifecycleDemo(options: LifecycleDemoOptions): Promise<void> {
  // Relative to the project root: from elsewhere the copy would fail half-way with a bare ENOENT.
  for (const source of REGISTRY_SOURCES) {
    if (!existsSync(source)) {
      throw new Error(
        `the demo copies its models from ${resolvedPath(source)}, which does not exist; run it from the project root`,
      );
    }
  }
  // The copy holds the demo's promotions only; nothing in it is worth keeping once the demo has ended, however it
  // ends: Ctrl-C included.
  // A stop signal (Ctrl-C) winds the demo down through its own clean-up: workers closed, topics and keys removed.
  const stop = catchStopSignals();
  try {
    await withTemporaryDirectory(
      REGISTRY_COPY_PREFIX,
      async (registry) => {
        for (const source of REGISTRY_SOURCES) cpSync(source, registry, { recursive: true });
        await lifecycle(options, registry, stop);
      },
      { windsDownOnSignal: true },
    );
  } finally {
    stop.release();
  }
}

async function lifecycle(options: LifecycleDemoOptions, registry: string, stop: CaughtStopSignals): Promise<void> {
  const say = (line: string) => options.out.write(`${line}\n`);
  const runId = `lifecycle-${Date.now().toString(36)}`;
  const base = isolateTopology(loadTopology(options.topologyFile), runId, { metricsPort: 0, maxWaitMs: 500 });
  const topology: Topology = {
    ...base,
    model: { ...base.model, registry, version: '1' },
    // Both models run on every batch beside two workers, the simulator and the stack, on a shared 2-core machine:
    // a model run there takes hundreds of ms, not the ~3 ms measured on a quiet one (README, Performance).
    serving: { batchP99Ms: options.latencySloMs },
    rollout: {
      ...base.rollout,
      // Stages as short as the evidence allows: the gates, not the clock, set the pace of the demo.
      stepMs: 0,
      gates: { ...base.rollout.gates, minRecords: options.minRecords },
    },
  };
  const log = createLogger({ name: runId, level: logLevelFor('fatal') });
  const kafka = createKafka(topology, log);
  const ops = controlOperations(topology, kafka, { actor: 'lifecycle-demo' });
  say(
    `fraudscore lifecycle demo ${runId}: ${options.workers} worker(s), champion card-fraud@1, challenger card-fraud@2 (registry copy ${registry}, removed at the end)`,
  );

  const workers: PipelineContext[] = [];
  for (const instanceId of ['w1', 'w2'].slice(0, options.workers)) {
    const worker = await createPipeline({ topology, instanceId, log });
    void worker.runner.start();
    workers.push(worker);
  }
  // A worker that stopped on a fatal error keeps its partitions in the group until it is closed, and event-time
  // alignment then holds every other worker back: the demo would wait for records for ever. Say it and stop instead.
  const workerFailed = new Promise<never>((_, reject) => {
    for (const worker of workers) {
      void worker.runner.failed.then((error) =>
        reject(new Error(`worker ${worker.instanceId} stopped on a fatal error: ${(error as Error).message}`)),
      );
    }
  });
  workerFailed.catch(() => undefined);
  // What every wait of the demo races: a worker's fatal error, or a stop signal (set up before the first wait, a
  // signal during the start-up is noticed there).
  const halted = Promise.race([workerFailed, stop.stopped]);
  halted.catch(() => undefined);
  const control = new ControlFollower({ kafka, topology: topology.name });
  await control.start();
  await control.ready;
  const scores = new ScoreFollower(topology, kafka);
  await scores.start();

  // Stopped with the demo: a simulator writing on into deleted topics would only fill the terminal with errors.
  const stopSimulation = new AbortController();
  const simulation = simulateToKafka({
    signal: stopSimulation.signal,
    kafka: kafkaSettingsFromTopology(topology),
    simulation: {
      seed: options.seed,
      days: options.days,
      customers: 2000,
      terminals: 1000,
      genuineLabelRate: 1,
      invalidRate: 0,
    },
  });
  // Observed, not awaited: a simulator failure is reported, never an unhandled rejection that kills the demo.
  simulation.catch((error: unknown) => {
    if (!stopSimulation.signal.aborted) say(`simulator failed: ${(error as Error).message}`);
  });
  say(`simulating ${options.days} days of card traffic (seed ${options.seed}) into ${topology.topics.input}`);
  let simulating = true;
  void simulation.finally(() => (simulating = false)).catch(() => undefined);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const progress = trafficWatch(scores, () => simulating, workers);

  try {
    // 1. Shadow.
    const shadow = await ops.shadowStart('card-fraud@2', 'demo: shadow the new model');
    say(`[shadow] v${shadow.version}: card-fraud@2 scores every record beside card-fraud@1`);
    await Promise.race([
      halted,
      progress.until(() => shadowed(scores, 'card-fraud@2') >= options.minRecords, 'shadow records'),
    ]);
    const report = buildShadowReport(
      scores.streams.scores,
      scores.streams.labels,
      { champion: 'card-fraud@1', challenger: 'card-fraud@2' },
      {
        minDurationMs: 0,
        minRecords: options.minRecords,
        minAgreement: 0.95,
        latencyP99Ms: topology.serving.batchP99Ms,
        maxAlertRateDelta: topology.rollout.gates.maxAlertRateDelta,
        aucMargin: topology.rollout.gates.aucMargin,
        minLabelled: topology.rollout.gates.minLabelled,
        alertAt: topology.decision.reviewAt,
        blockAt: topology.decision.blockAt,
      },
      labelClock(topology, scores.streams, Date.now()),
      scores.streams.firstUses,
    );
    makeDirectories(options.reportDir);
    writeFileSync(join(options.reportDir, 'shadow-report.md'), renderShadowMarkdown(report));
    writeFileSync(join(options.reportDir, 'shadow-report.html'), renderShadowHtml(report));
    for (const line of formatChecklist(report)) say(`[shadow] ${line}`);
    say(`[shadow] report written to ${options.reportDir}/shadow-report.{md,html}`);

    // 2. Staged rollout judged by the controller.
    const start = await ops.rolloutStart('card-fraud@2', {
      plan: [1, 5, 25, 50, 100],
      stepMs: 0,
      reason: 'demo rollout',
    });
    say(`[rollout] v${start.version}: card-fraud@2 at 1 %`);
    const outcome = await Promise.race([
      halted,
      runController(topology, kafka, control, scores, say, 'rollout', progress),
    ]);
    if (outcome !== 'promoted') say(`[rollout] the rollout ended ${outcome}, not promoted`);

    // 3. A deliberately broken challenger (NaN, ±Infinity and constant 0.25 scores).
    const bad = await ops.rolloutStart('broken-scores@1', {
      plan: [5, 100],
      stepMs: 0,
      reason: 'demo: a bad challenger',
    });
    say(`[bad challenger] v${bad.version}: broken-scores@1 at 5 %`);
    await Promise.race([halted, runController(topology, kafka, control, scores, say, 'bad challenger', progress)]);

    // The kill switch serves the champion's rollback target; a champion without one (the rollout was rolled back,
    // card-fraud@1 names none) goes back to itself alone, which needs a challenger live.
    const target = await ops.killTarget(await ops.view()).catch(() => null);
    if (target === null) {
      const live = await ops.rolloutStart('card-fraud@2', {
        plan: [25, 100],
        stepMs: 3_600_000,
        reason: 'demo: a challenger live for the kill switch drill',
      });
      say(`[kill switch] v${live.version}: the champion names no rollback target; card-fraud@2 live at 25 % to kill`);
    }

    // 4. The kill switch, timed.
    const killed = await ops.killOn('demo: kill switch drill').catch((error: unknown) => {
      say(`[kill switch] refused: ${(error as Error).message}`);
      return null;
    });
    if (!killed) return;
    const applied = await Promise.race([
      halted,
      Promise.all(
        workers.map(async (worker) => {
          // The goal is under 60 s: past it the flip has failed, and the demo says so rather than wait.
          for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(20)) {
            const status = worker.serving.status();
            if (status.appliedVersion >= killed.version)
              return { instance: worker.instanceId, ms: (status.appliedAtMs ?? 0) - killed.atMs };
          }
          throw new Error(`worker ${worker.instanceId} did not apply the kill switch within 60 s`);
        }),
      ),
    ]);
    say(
      `[kill switch] v${killed.version}: serving ${killed.state.killSwitch.target}; applied by ` +
        `${applied.map((a) => `${a.instance} in ${(a.ms / 1000).toFixed(3)} s`).join(', ')}; full effect ${(Math.max(...applied.map((a) => a.ms)) / 1000).toFixed(3)} s`,
    );
    const off = await ops.killOff('demo: drill over');
    say(`[kill switch] v${off.version}: off, back to ${off.state.champion ?? 'the topology model'}`);
    await Promise.race([simulation.catch(() => undefined), stop.stopped]);
  } catch (error) {
    // Whatever a wait failed with once the signal came, the signal is why.
    const interrupted = stop.signal.reason as unknown;
    if (interrupted instanceof StoppedBySignal) {
      say(
        `demo interrupted (${interrupted.stoppedBy}): closing the workers, removing the run's topics and Redis keys; ` +
          interrupted.stopAtOnce,
      );
      process.exitCode = interrupted.exitCode;
    } else {
      say(`demo stopped: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  } finally {
    stopSimulation.abort();
    await simulation.catch(() => undefined);
    await scores.stop();
    await control.stop();
    for (const worker of workers) await worker.close().catch(() => undefined);
    await removeRunData(topology).catch((error: unknown) =>
      say(`could not remove the run's topics and keys: ${(error as Error).message}`),
    );
    // Read again once wound down: a Ctrl-C that came just after the reader went makes the stop the signal's.
    const stopped = stop.signal.reason as unknown;
    if (stopped instanceof StoppedBySignal) process.exitCode = stopped.exitCode;
  }
}

async function runController(
  topology: Topology,
  kafka: ReturnType<typeof createKafka>,
  control: ControlFollower,
  scores: ScoreFollower,
  say: (line: string) => void,
  tag: string,
  progress: TrafficWatch,
): Promise<string> {
  const deadline = Date.now() + 10 * 60_000;
  const writer = controllerWriter(topology, kafka);
  let lastHold = '';
  while (Date.now() < deadline) {
    progress.check(`the ${tag} stage's evidence`);
    const view = control.current();
    const champion = view.state.champion ?? 'card-fraud@1';
    const outcome = await controllerStep(topology, writer, view, champion, scores.streams, Date.now());
    if (outcome.kind === 'idle') return view.state.challenger ? 'idle' : 'done';
    if (outcome.kind === 'unwritten') {
      // The stage stays where it was; the next step judges it again and retries the write.
      say(`[${tag}] ${outcome.change} not written (${outcome.why}); trying again`);
      lastHold = '';
    } else if (outcome.kind === 'hold') {
      const why = outcome.verdict.gates
        .filter((g) => g.status === 'hold')
        .map((g) => g.gate)
        .join(', ');
      if (why !== lastHold) say(`[${tag}] hold at ${outcome.challenger.percent} %: waiting for ${why}`);
      lastHold = why;
    } else {
      lastHold = '';
      say(`[${tag}] ${outcome.kind} (v${outcome.record.version}): ${outcome.record.reason}`);
      for (const line of formatVerdict(outcome.verdict)) say(`[${tag}] ${line}`);
      if (outcome.kind !== 'advanced') return outcome.kind;
      // Wait until the control follower sees the new stage before judging it.
      while (control.current().version < outcome.record.version) await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return 'timed out';
}

/** Records of the output topic that the challenger scored too (or failed on): the shadow's evidence so far. */
function shadowed(scores: ScoreFollower, challenger: string): number {
  let n = 0;
  for (const view of scores.streams.scores) {
    if (
      view.shadowScores[challenger] !== undefined ||
      view.reasonCodes.some((code) => code.startsWith('CHALLENGER_FAILED'))
    )
      n++;
  }
  return n;
}

interface TrafficWatch {
  /** Throws when no score has arrived for a while: the traffic ran out, or scoring stopped (the message says which). */
  check(waitingFor: string): void;
  until(condition: () => boolean, waitingFor: string): Promise<void>;
}

/** How long the demo waits without a single new score before it calls the wait hopeless. */
const NO_SCORES_MS = 90_000;

/**
 * The demo's phases wait for evidence (records, matured labels) that only new scores bring. When none arrive any more,
 * waiting on (the controller would hold for 10 minutes per phase) looks like a hang; this says why instead.
 */
function trafficWatch(
  scores: ScoreFollower,
  simulating: () => boolean,
  workers: readonly PipelineContext[],
): TrafficWatch {
  // Scores read, not kept: the controller lets go of scores its gates no longer need.
  let seen = scores.streams.scoresRead;
  let lastNewAtMs = Date.now();
  const check = (waitingFor: string) => {
    const now = Date.now();
    if (scores.streams.scoresRead !== seen) {
      seen = scores.streams.scoresRead;
      lastNewAtMs = now;
      return;
    }
    if (now - lastNewAtMs < NO_SCORES_MS) return;
    const unhealthy = workers
      .map((w) => [w.instanceId, w.runner.unhealthyReason()] as const)
      .filter(([, reason]) => reason !== null);
    const why = simulating()
      ? unhealthy.length > 0
        ? `scoring stopped (${unhealthy.map(([id, reason]) => `${id}: ${reason}`).join('; ')})`
        : 'scoring stopped while the simulation still runs'
      : 'the simulated traffic ran out (give more --days, or a lower --min-records)';
    throw new Error(`no new score for ${NO_SCORES_MS / 1000} s while waiting for ${waitingFor}: ${why}`);
  };
  return {
    check,
    async until(condition, waitingFor) {
      while (!condition()) {
        check(waitingFor);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
  };
}
