import { InvalidArgumentError, Option, type Command } from 'commander';
import { controlTopicName, readControlLog } from '../../adapters/kafka/control/index.js';
import { connectRedis, createRedis } from '../../adapters/redis/connect.js';
import { createWorkerStatusStore, workerStatusKey } from '../../adapters/redis/worker-status.js';
import {
  controlTopicCreatedLine,
  parseDuration,
  type ControlRecord,
  type ControlView,
} from '../../core/control/index.js';
import { openControl, type ControlSession } from '../../lifecycle/connect.js';
import { ChangeWrittenUnfinished } from '../../lifecycle/operations.js';
import { formatControlStatus, type WorkerReport } from '../../lifecycle/status.js';
import { connecting } from '../../runtime/startup-errors.js';
import {
  applyOutcome,
  applyProgress,
  applySummary,
  settledLine,
  type ApplyOutcome,
} from '../../lifecycle/apply-wait.js';
import type { Topology } from '../../config/index.js';
import { bareNumber, nonBlank, seconds } from '../arguments.js';

export interface ChangeOptions {
  readonly topology: string;
  readonly reason: string;
  readonly actor?: string;
  /**
   * Seconds to wait for every reporting worker to apply the change (`--wait [seconds]`; true: the flag alone, the
   * default wait); none: return once it is written.
   */
  readonly wait?: number | true;
}

/** How long `--wait` waits when given no value: the kill switch's rollback bound. */
const DEFAULT_WAIT_S = 60;
/** How often `--wait` reads the workers' reports (each a single HGETALL). */
const WAIT_POLL_MS = 500;

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Adds the options every change command takes. */
export function changeOptions(command: Command, reasonRequired = true): Command {
  command.requiredOption('-t, --topology <file>', 'topology YAML file');
  if (reasonRequired) command.requiredOption('--reason <text>', 'why (recorded on the control topic)', nonBlank);
  else command.option('--reason <text>', 'why (recorded on the control topic)', nonBlank, 'no reason given');
  command.option('--actor <who>', 'who makes the change (default $FRAUDSCORE_ACTOR or user@host)', nonBlank);
  return command.addOption(
    new Option(
      '--wait [seconds]',
      `wait until every reporting worker applies the change, or refuses it (default ${DEFAULT_WAIT_S} s; seconds, or ` +
        'with a unit: 90s, 2m); exits 1 unless all apply it',
    ).argParser(waitSeconds),
  );
}

const waitRange = seconds({ max: 3_600 });

/**
 * `--wait`'s value: seconds, or a duration with its unit. Its value is optional, so `--wait` before a positional
 * argument takes that argument as the value: the refusal says how to write the flag alone.
 */
function waitSeconds(value: string): number {
  if (bareNumber(value) || parseDuration(value) !== null) return waitRange(value);
  throw new InvalidArgumentError(
    `expected seconds (a number > 0 and <= 3600) or a duration such as 90s; --wait alone (${DEFAULT_WAIT_S} s) goes ` +
      `after the command's other arguments, or write --wait=${DEFAULT_WAIT_S}`,
  );
}

export function describeRecord(record: ControlRecord): string {
  const details = Object.keys(record.change.details).length > 0 ? ` ${JSON.stringify(record.change.details)}` : '';
  return `v${record.version} ${new Date(record.atMs).toISOString()} ${record.change.kind} by ${record.actor}: ${record.reason}${details}`;
}

/** Runs one change command and prints the record written; the workers apply it at their next batch boundary. */
export async function runChange(
  options: ChangeOptions,
  change: (session: ControlSession) => Promise<ControlRecord>,
): Promise<void> {
  // Said as it happens: a change refused after the topic was created has still created it.
  const session = openControl(options.topology, options.actor, {
    onControlTopicCreated: (topology) => out(controlTopicCreatedLine(topology)),
  });
  let record: ControlRecord;
  // Written, but its second half failed: said like any written change (the workers apply it), then as a failure.
  let unfinished: ChangeWrittenUnfinished | null = null;
  try {
    record = await change(session);
  } catch (error) {
    if (!(error instanceof ChangeWrittenUnfinished)) throw error;
    ({ record } = error);
    unfinished = error;
  }
  out(`written: ${describeRecord(record)}`);
  for (const note of unfinished?.notes ?? []) out(note);
  const statusCommand = `fraudscore control status -t ${options.topology}`;
  if (options.wait === undefined) {
    out(`every worker applies it at its next batch boundary; check with \`${statusCommand}\``);
  } else {
    const waitS = options.wait === true ? DEFAULT_WAIT_S : options.wait;
    out(`waiting up to ${waitS} s for every worker to apply it (at its next batch boundary)`);
    const outcome = await waitForWorkers(session.topology, record.version, waitS * 1000, statusCommand);
    if (outcome !== 'applied') process.exitCode = 1;
  }
  if (unfinished) throw unfinished;
}

/**
 * Follows the workers' reports until every reporting worker applied `version` or refused it, none reports, or
 * `timeoutMs` passed; prints each worker as it settles, then what it came to.
 */
async function waitForWorkers(
  topology: Topology,
  version: number,
  timeoutMs: number,
  statusCommand: string,
): Promise<ApplyOutcome> {
  const reports = await openWorkerReports(topology);
  try {
    const startedMs = Date.now();
    const told = new Set<string>();
    for (;;) {
      const workers = await reports.read();
      const nowMs = Date.now();
      const progress = applyProgress(version, workers, nowMs);
      for (const worker of [...progress.applied, ...progress.refused]) {
        const line = settledLine(worker);
        if (!told.has(line)) out(line);
        told.add(line);
      }
      const outcome = applyOutcome(progress);
      const waitedMs = nowMs - startedMs;
      if (outcome !== 'pending' || waitedMs >= timeoutMs) {
        for (const line of applySummary(version, progress, outcome, waitedMs, statusCommand)) out(line);
        return outcome;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, timeoutMs - waitedMs)));
    }
  } finally {
    reports.close();
  }
}

/** The workers' reports in Redis, as `control status` and `--wait` read them: connected (or failing naming redis). */
async function openWorkerReports(topology: Topology): Promise<{ read(): Promise<WorkerReport[]>; close(): void }> {
  const redis = createRedis(topology);
  try {
    await connecting('redis', topology, () => connectRedis(redis));
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const store = createWorkerStatusStore(redis, workerStatusKey(topology.redis.keyPrefix));
  return {
    read: async () => [...(await store.readAll())].map(([instance, status]) => ({ instance, status })),
    close: () => redis.disconnect(),
  };
}

/** The control state as a status command reads it once, with the champion serving (the topology's if it names none). */
export interface ControlReading {
  readonly session: ControlSession;
  readonly view: ControlView;
  readonly champion: string;
}

export async function readControl(topologyFile: string): Promise<ControlReading> {
  const session = openControl(topologyFile);
  const view = await session.ops.view();
  const champion = view.state.champion ?? (await session.ops.topologyChampion());
  return { session, view, champion };
}

/** The control state and every worker's status (read from Redis), as `control status` prints them. */
export async function printStatus({ session, view, champion }: ControlReading): Promise<void> {
  const { topology } = session;
  const reports = await openWorkerReports(topology);
  try {
    const workers = await reports.read();
    for (const line of formatControlStatus(topology, view, champion, workers, Date.now())) out(line);
  } finally {
    reports.close();
  }
}

export function registerControlCommand(program: Command): void {
  const control = program
    .command('control')
    .description('The control plane: what every worker of a topology serves (control topic <topology>.control).');

  changeOptions(
    control
      .command('set')
      .description(
        'Tune the batch window live: batch.maxRecords=<100..1000> batch.maxWaitMs=<10..30000> batch.minRecords=<1..1000> ' +
          '(the live-stream close; =maxRecords: by size or time only) (or =default for the ' +
          "topology file's value). Applied by every worker at its next batch boundary.",
      )
      .argument('<settings...>', 'key=value pairs'),
    false,
  ).action((settings: string[], options: ChangeOptions) =>
    runChange(options, ({ ops }) => ops.setWindow(settings, options.reason)),
  );

  control
    .command('status')
    .description("The control state and every worker's applied version, and how long each took to apply it.")
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .action(async (options: { topology: string }) => printStatus(await readControl(options.topology)));

  control
    .command('history')
    .description('Every change still on the control topic (compaction keeps at least the latest).')
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .action(async (options: { topology: string }) => {
      const { topology, kafka } = openControl(options.topology);
      const { entries, topicExists } = await connecting('kafka', topology, () => readControlLog(kafka, topology.name));
      for (const entry of entries) {
        if (!entry.record) out(`offset ${entry.offset}: ignored (${entry.problem})`);
        // A copy restates the record applied for its version so compaction keeps it; it is no change of its own.
        else out(`${describeRecord(entry.record)}${entry.copy ? ' (copy kept for compaction)' : ''}`);
      }
      if (!topicExists) {
        out(
          `no control records yet: the control topic ${controlTopicName(topology.name)} does not exist (a worker ` +
            'creates it at start-up, and so does the first change); the topology file decides',
        );
      } else if (entries.length === 0) out('no control records yet');
    });
}
