import { Option, type Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { ControlFollower, ensureControlTopic } from '../../adapters/kafka/control/index.js';
import { catchStopSignals, StoppedBySignal } from '../../adapters/process/stop-signals.js';
import { displayUrl, type Topology } from '../../config/index.js';
import {
  controlTopicCreatedLine,
  controlTopicName,
  GATE_BOUNDS,
  gateRetention,
  type ControlView,
  type GateBound,
  type ScoreRetention,
} from '../../core/control/index.js';
import { openControl } from '../../lifecycle/connect.js';
import { finishPromotionCommand, type ControlOperations } from '../../lifecycle/operations.js';
import {
  controllerStep,
  controllerWriter,
  formatVerdict,
  judgeStage,
  stageNotJudged,
  type StepOutcome,
} from '../../lifecycle/controller.js';
import { readScoreStreams, ScoreFollower, TopicsMissingError } from '../../lifecycle/score-reader.js';
import { BOUND_HELP, boundFlag, gateBound, gateInterval, rolloutPlan, rolloutStep } from '../arguments.js';
import { changeOptions, describeRecord, printStatus, readControl, runChange, type ChangeOptions } from './control.js';
import { connecting } from '../../runtime/startup-errors.js';
import type { Logger } from '../../adapters/observability/logger.js';

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/**
 * One judgement of `rollout run`: the champion the stage is judged against (the control state's, else the registry's
 * for the topology), then the step. A failure of either (the registry or the broker unreachable for a moment) is a
 * step not judged, said as such: the controller goes on and judges again at the next interval instead of exiting.
 */
export async function judgeOnce(
  view: ControlView,
  registryChampion: () => Promise<string>,
  step: (champion: string) => Promise<StepOutcome>,
): Promise<StepOutcome> {
  try {
    return await step(view.state.champion ?? (await registryChampion()));
  } catch (error) {
    return { kind: 'idle', why: `not judged: ${(error as Error).message}` };
  }
}

/**
 * What one step of `rollout run` says: a line, and the gates' figures under it when it reports a verdict acted on.
 * A change that could not be written says so, where it was to be written, and that the stage stays where it was:
 * the next step judges it again and retries the write (a rollback is the more urgent, so the way to force it is named).
 */
export function stepReport(
  outcome: StepOutcome,
  context: { readonly topology: Topology; readonly file: string; readonly intervalMs: number },
): { line: string; details: string[] } {
  switch (outcome.kind) {
    case 'idle':
      return { line: `idle: ${outcome.why}`, details: [] };
    case 'hold': {
      const holding = outcome.verdict.gates.filter((g) => g.status === 'hold').map((g) => g.figure);
      return { line: `hold at ${outcome.challenger.percent} %: ${holding.join('; ')}`, details: [] };
    }
    case 'unwritten': {
      const { topology, file, intervalMs } = context;
      const where =
        `the control record could not be written to ${controlTopicName(topology.name)} ` +
        `(kafka.brokers ${topology.kafka.brokers.map(displayUrl).join(',')}): ${outcome.why}`;
      const percent = outcome.challenger.percent;
      const retry = `trying again in ${intervalMs} ms`;
      const line =
        outcome.change === 'advance'
          ? `NOT ADVANCED: ${where}; the stage stays at ${percent} %; ${retry}`
          : `NOT ROLLED BACK: ${where}; the challenger still serves ${percent} % although gate ` +
            `${outcome.verdict.failed?.gate ?? '?'} failed; ${retry}, or force it: ` +
            `fraudscore rollout abort -t ${file} --reason "..."`;
      return { line, details: formatVerdict(outcome.verdict) };
    }
    case 'promoted': {
      const line = `promoted: ${describeRecord(outcome.record)}`;
      if (outcome.registryProblem === null) return { line, details: formatVerdict(outcome.verdict) };
      return {
        line:
          `${line}; but the registry's champion was not set (${outcome.registryProblem}): the workers follow the ` +
          `control topic, and the registry needs: ${finishPromotionCommand(outcome.record, context.topology.model.registry)}`,
        details: formatVerdict(outcome.verdict),
      };
    }
    default:
      return { line: `${outcome.kind}: ${describeRecord(outcome.record)}`, details: formatVerdict(outcome.verdict) };
  }
}

/**
 * Whether the rollout is over, where `--exit-when-done` stops: promoted, rolled back, or none in progress. A change
 * that was not written is not: the rollout is still live and the next step tries again.
 */
export function rolloutOver(outcome: StepOutcome, view: ControlView): boolean {
  if (outcome.kind === 'promoted' || outcome.kind === 'rolled-back') return true;
  return outcome.kind === 'idle' && !view.state.challenger;
}

/**
 * What `rollout run` says when a stop signal ends it: stopping the controller leaves a rollout where it is (it is not
 * an abort), so a person who pressed Ctrl-C is told what now serves, that nothing judges it, and the commands that
 * resume judging or end the rollout. `view`: null when the control topic had not been read yet.
 */
export function controllerStoppedReport(view: ControlView | null, file: string): string {
  if (view === null) return 'stopped before the control topic was read; nothing was judged or changed';
  const c = view.state.challenger;
  if (!c || c.mode !== 'rollout') return 'no rollout in progress; nothing is left unjudged';
  return (
    `the rollout of ${c.model} stays at ${c.percent} % (stage ${c.stageIndex + 1}/${c.plan.length}` +
    `${c.paused ? ', paused' : ''}) with no controller judging it: nothing advances it or rolls it back until ` +
    `\`fraudscore rollout run -t ${file}\` runs again; to end it now: \`fraudscore rollout abort -t ${file} ` +
    `--reason "..."\` (or \`kill-switch on\`)`
  );
}

/**
 * The gate bounds `rollout start` can set for its rollout alone, each in place of the topology's `rollout.gates` field
 * of the same name, whose name its flag spells (`maxScorePsi`: `--max-score-psi`, the option commander then names
 * `maxScorePsi` again). A deliberate recalibration (the same decisions, scores far from the champion's) needs a higher
 * score PSI bound; a challenger meant to alert a little differently, or to trade a little AUC, the others.
 */
export type RolloutStartOptions = ChangeOptions &
  Partial<Record<GateBound, number>> & { plan?: number[]; step?: number };

/** What `rollout start` asks of the control plane: the flags given, the topology's for the rest. */
export function rolloutStartRequest(options: RolloutStartOptions): Parameters<ControlOperations['rolloutStart']>[1] {
  return {
    reason: options.reason,
    ...(options.plan ? { plan: options.plan } : {}),
    ...(options.step !== undefined ? { stepMs: options.step } : {}),
    // A bound not given stays undefined, and the rollout judges by the topology's.
    gates: Object.fromEntries(GATE_BOUNDS.map((bound) => [bound, options[bound]])),
  };
}

export function registerRolloutCommand(program: Command): void {
  const rollout = program
    .command('rollout')
    .description(
      'Staged rollout of a challenger: customers routed by a salted hash of their id, each stage gated on latency, ' +
        'non-finite scores, alert rate, score PSI and (once labels mature) AUC; a failed gate rolls back at once.',
    );

  const start = rollout
    .command('start')
    .description('Start a rollout of <name>@<version> (verified against the registry first).')
    .argument('<model>', 'name@version, e.g. card-fraud@2')
    // Parsed while the command line is read: a plan, step or bound that is refused needs no topology, registry or broker.
    .option('--plan <percents>', "stages in percent (default: the topology's rollout.plan)", rolloutPlan)
    .option(
      '--step <duration>',
      "minimum time per stage, at least 1m, e.g. 30m (default: the topology's rollout.stepMs)",
      rolloutStep,
    );
  for (const bound of GATE_BOUNDS) {
    start.option(
      boundFlag(bound),
      `${BOUND_HELP[bound]}, for this rollout only (default: the topology's rollout.gates.${bound})`,
      gateBound(bound),
    );
  }
  changeOptions(start, false).action((model: string, options: RolloutStartOptions) =>
    runChange(options, ({ ops }) => ops.rolloutStart(model, rolloutStartRequest(options))),
  );

  rollout
    .command('status')
    .description('The control state, every worker, and the live stage judged against its gates now.')
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .action(async (options: { topology: string }) => {
      const reading = await readControl(options.topology);
      await printStatus(reading);
      const { session, view, champion } = reading;
      const { topology, kafka, log } = session;
      // No live stage, no evidence to read (and, before any worker started, no output topic to read it from).
      const notJudged = stageNotJudged(view);
      if (notJudged !== null) {
        out(`  gates        ${notJudged}`);
        return;
      }
      const nowMs = Date.now();
      // Only the live stage's evidence: not every score of the topics' retention.
      let streams;
      try {
        streams = await readScoreStreams(topology, kafka, { retention: gateRetention(view.state, nowMs), log });
      } catch (error) {
        if (!(error instanceof TopicsMissingError)) throw error;
        out(`  gates        not judged: ${error.message}`);
        return;
      }
      const judged = judgeStage(topology, view, champion, streams, nowMs);
      if ('why' in judged) {
        out(`  gates        ${judged.why}`);
        return;
      }
      out(`  gates        ${judged.verdict.status.toUpperCase()} at ${judged.challenger.percent} %:`);
      for (const line of formatVerdict(judged.verdict)) out(line);
    });

  for (const [name, description] of [
    ['pause', 'Hold the current stage (routing unchanged, no gate advances it).'],
    ['resume', 'Resume a paused rollout; the stage is judged on a full step again.'],
    ['promote', 'Skip to 100 %: the challenger becomes champion (control topic and registry).'],
    ['abort', 'Back to the champion at once (challenger to 0 %).'],
  ] as const) {
    changeOptions(rollout.command(name).description(description), name !== 'resume').action((options: ChangeOptions) =>
      runChange(options, ({ ops }) => ops[name](options.reason)),
    );
  }

  rollout
    .command('run')
    .description(
      'The rollout controller: follows the control, output and labels topics and advances, holds or rolls back the ' +
        'live stage by its gates. Run one per topology.',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .addOption(
      new Option('--interval <duration>', 'how often the gates are judged (at least 1s)')
        .argParser(gateInterval)
        .default(5_000, '5s'),
    )
    .option('--exit-when-done', 'exit once no rollout is in progress (after a promotion, rollback or abort)')
    .action(async (options: { topology: string; interval: number; exitWhenDone?: boolean }) => {
      const intervalMs = options.interval;
      const { topology, kafka, ops, log } = openControl(options.topology, 'rollout-controller');
      const control = new ControlFollower({ kafka, topology: topology.name, log });
      // The controller writes to the control topic: before any worker started, it creates it as a worker would.
      // A stop signal meanwhile ends the process at once (Node's own handling): nothing has been judged yet.
      const createdTopic = await connecting('kafka', topology, async () => {
        const created = await ensureControlTopic(kafka, topology.name);
        await control.start();
        return created;
      });
      if (createdTopic) out(controlTopicCreatedLine(topology.name));
      // From here Ctrl-C or SIGTERM ends the run through its `finally` blocks (the readers closed) and says what it
      // leaves.
      const stop = catchStopSignals();
      let controlRead = false;
      try {
        // However it ends (done, a failure, the reader given up, a stop signal), the control reader's consumer must
        // not keep the process alive.
        try {
          await Promise.race([control.ready, stop.stopped]);
          controlRead = true;
          // Told from the start: the backlog read on starting is not kept beyond what the live stage needs.
          // With --exit-when-done, a rollout ended (aborted, say) while the topics are still missing ends the wait too.
          const noRollout = () => options.exitWhenDone === true && !control.current().state.challenger;
          const scores = await startScoreFollower(
            topology,
            kafka,
            () => gateRetention(control.current().state, Date.now()),
            intervalMs,
            noRollout,
            Promise.race([control.failed, stop.stopped]),
            log,
          );
          if (scores === null) {
            out(`${new Date().toISOString()} no rollout in progress on ${topology.name}: nothing to judge, exiting`);
            return;
          }
          try {
            await Promise.race([scores.settle(1_000), stop.stopped]);
            out(`rollout controller for ${topology.name}: judging every ${intervalMs} ms`);
            await judgeUntilDone(topology, kafka, ops, control, scores, {
              file: options.topology,
              intervalMs,
              exitWhenDone: options.exitWhenDone === true,
              stopped: stop.stopped,
            });
          } finally {
            await scores.stop();
          }
        } finally {
          await control.stop();
        }
      } catch (error) {
        if (!(error instanceof StoppedBySignal)) throw error;
        const report = controllerStoppedReport(controlRead ? control.current() : null, options.topology);
        process.stderr.write(`rollout run: interrupted (${error.stoppedBy}): ${report}\n`);
        process.exitCode = error.exitCode;
      } finally {
        stop.release();
      }
    });
}

/**
 * The controller's loop: judges the live stage every interval and prints what it did, until the rollout is over
 * (with --exit-when-done), a reader stops for good (it ends with the reason rather than judging a frozen view), or
 * `stopped` rejects (a stop signal).
 */
async function judgeUntilDone(
  topology: Topology,
  kafka: Kafka,
  ops: ControlOperations,
  control: ControlFollower,
  scores: ScoreFollower,
  options: { file: string; intervalMs: number; exitWhenDone: boolean; stopped: Promise<never> },
): Promise<void> {
  const { file, intervalMs } = options;
  const writer = controllerWriter(topology, kafka);
  const readerStopped = Promise.race([control.failed, scores.failed]);
  let last = '';
  for (;;) {
    const view = control.current();
    const outcome = await judgeOnce(view, ops.topologyChampion, (champion) =>
      controllerStep(topology, writer, view, champion, scores.streams, Date.now()),
    );
    const report = stepReport(outcome, { topology, file, intervalMs });
    // A failure that persists is said once, not every interval; the next line says when it has passed.
    if (report.line !== last) {
      out(`${new Date().toISOString()} ${report.line}`);
      for (const line of report.details) out(line);
    }
    last = report.line;
    if (options.exitWhenDone && rolloutOver(outcome, view)) return;
    const failed = await intervalOrEnd(intervalMs, Promise.race([readerStopped, options.stopped]));
    if (failed) throw failed;
  }
}

/**
 * The controller's reader of the output and labels topics. Before any worker of the topology has made them (a
 * controller started with, or before, the workers), it says so once and tries again every interval rather than
 * ending: the gates have nothing to judge until scores arrive anyway. Null when `stopWaiting` says so first. `ended`
 * resolving (the control reader stopped for good) ends the wait with its reason, as it ends the judging; rejecting (a
 * stop signal) ends it at once.
 */
async function startScoreFollower(
  topology: Topology,
  kafka: Kafka,
  retention: () => ScoreRetention,
  intervalMs: number,
  stopWaiting: () => boolean,
  ended: Promise<Error>,
  log: Logger,
): Promise<ScoreFollower | null> {
  // Raced only while waiting: a stop signal after the reader started must not end the process as unhandled.
  ended.catch(() => undefined);
  let said = false;
  for (;;) {
    const scores = new ScoreFollower(topology, kafka, { retention: retention(), log });
    try {
      await scores.start();
      return scores;
    } catch (error) {
      if (!(error instanceof TopicsMissingError)) throw error;
      await scores.stop();
      if (stopWaiting()) return null;
      if (!said) out(`${new Date().toISOString()} waiting: ${error.message}; checking every ${intervalMs} ms`);
      said = true;
      const failed = await intervalOrEnd(intervalMs, ended);
      if (failed) throw failed;
    }
  }
}

/**
 * Waits one interval, or less when `ended` settles first: resolves with what `ended` resolved with (a reader's
 * failure), rejects as it rejects (a stop signal). The timer is cleared either way: a stopped run exits at once.
 */
async function intervalOrEnd<T>(intervalMs: number, ended: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), intervalMs))),
      ended,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
