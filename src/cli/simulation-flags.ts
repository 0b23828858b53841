import {
  DRIFT_SCENARIOS,
  DriftScenario,
  resolveSimulationOptions,
  SimulationOptionError,
  type SimulationOptions,
} from '../core/simulate/index.js';
import { TransactionContract } from '../core/contract/validate-transaction.js';

/**
 * The flag behind each generator option (the same in `simulate`, `demo` and `demo-lifecycle`), so that a range error
 * names what the user typed.
 */
const FLAG_OF: Partial<Record<keyof SimulationOptions, string>> = {
  seed: '--seed',
  customers: '--customers',
  terminals: '--terminals',
  days: '--days',
  startMs: '--start',
  labelDelayMinMs: '--label-delay-min-hours',
  labelDelayMaxMs: '--label-delay-max-days',
  genuineLabelRate: '--genuine-label-rate',
  invalidRate: '--invalid-rate',
  driftScenario: '--drift',
  driftFromDay: '--drift-from-day',
  driftAmountFactor: '--drift-amount-factor',
};

/** A generator option error said as the flag's: `--days: must be an integer in [1, 3650], got 0`. */
export function explainOptionError(error: unknown): unknown {
  if (!(error instanceof SimulationOptionError)) return error;
  const flag = FLAG_OF[error.field];
  if (!flag) return error;
  const prefix = `simulation option ${error.field}: `;
  const problem = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new Error(`${flag}: ${problem}`, { cause: error });
}

/**
 * The generator's own validation, run before anything starts (a pipeline, a connection, a progress bar): the ranges
 * live in one place, the generator, and a bad value is refused naming its flag.
 */
export function checkSimulationOptions(options: Partial<SimulationOptions>): SimulationOptions {
  try {
    return resolveSimulationOptions(options);
  } catch (error) {
    throw explainOptionError(error);
  }
}

/** The `simulate` flags that apply to one output only, as typed, by commander's attribute name. */
const SIMULATE_FLAG = {
  topology: '-t/--topology',
  brokers: '--brokers',
  registryUrl: '--registry-url',
  topic: '--topic',
  labelsTopic: '--labels-topic',
  partitions: '--partitions',
  rate: '--rate',
  batchSize: '--batch-size',
  invalidRate: '--invalid-rate',
  format: '--format',
  driftFromDay: '--drift-from-day',
  driftAmountFactor: '--drift-amount-factor',
} as const;
type SimulateFlag = keyof typeof SIMULATE_FLAG;

/** What files are written without: Kafka's address, topics and pace, and hostile records (bytes a file cannot carry). */
const KAFKA_ONLY: readonly SimulateFlag[] = [
  'topology',
  'brokers',
  'registryUrl',
  'topic',
  'labelsTopic',
  'partitions',
  'rate',
  'batchSize',
  'invalidRate',
];
/** What a topology (-t) supplies itself. */
const FROM_TOPOLOGY: readonly SimulateFlag[] = ['brokers', 'registryUrl', 'topic', 'labelsTopic', 'partitions'];

export interface SimulateChoice {
  readonly kafka: boolean;
  readonly topology: boolean;
  readonly drift: DriftScenario;
  readonly driftFromDay: number;
  readonly days: number;
}

function listed(flags: readonly string[]): string {
  return flags.length === 1 ? flags[0]! : `${flags.slice(0, -1).join(', ')} and ${flags[flags.length - 1]!}`;
}

/**
 * Why the flags given would not do what they say, one problem each, or none. A flag typed for another output (--rate
 * while writing files, --topic beside a topology's topics) would be ignored without a word, and the run would not be
 * the one asked for. `given` tells the flags typed on the command line: a default or an environment variable is
 * no choice of the user's.
 */
export function simulateFlagProblems(choice: SimulateChoice, given: (flag: SimulateFlag) => boolean): string[] {
  const typed = (flags: readonly SimulateFlag[]) => flags.filter(given).map((flag) => SIMULATE_FLAG[flag]);
  const problems: string[] = [];
  const kafkaOnly = choice.kafka ? [] : typed(KAFKA_ONLY);
  if (kafkaOnly.length > 0) {
    problems.push(
      `${listed(kafkaOnly)} ${kafkaOnly.length === 1 ? 'applies' : 'apply'} only with --kafka, not to files ` +
        `(--out-dir): remove ${kafkaOnly.length === 1 ? 'it' : 'them'}, or produce to Kafka with --kafka`,
    );
  }
  if (choice.kafka && given('format')) {
    problems.push('--format applies only to files (--out-dir), not with --kafka: remove it');
  }
  const overridden = choice.kafka && choice.topology ? typed(FROM_TOPOLOGY) : [];
  if (overridden.length > 0) {
    problems.push(
      `${listed(overridden)}: with -t the topology's ${overridden.length === 1 ? 'is' : 'are'} used: remove ` +
        `${overridden.length === 1 ? 'it' : 'them'}, or drop -t`,
    );
  }
  if (choice.drift === DriftScenario.None && given('driftFromDay')) {
    problems.push(
      `--drift-from-day applies only with a drift: add --drift ${DRIFT_SCENARIOS.filter((s) => s !== 'none').join('|')}, or remove it`,
    );
  } else if (choice.drift !== DriftScenario.None && choice.driftFromDay >= choice.days) {
    problems.push(
      `--drift-from-day: day ${choice.driftFromDay} is not simulated (--days ${choice.days} runs days 0 to ` +
        `${choice.days - 1}): give a day below ${choice.days}, or more --days`,
    );
  }
  if (choice.drift !== DriftScenario.AmountShift && given('driftAmountFactor')) {
    problems.push('--drift-amount-factor applies only with --drift amount-shift: add that, or remove it');
  }
  return problems;
}

/** Six significant digits: 0.1 day is 2.4 h, not 2.4000000000000004. */
function figure(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/**
 * The label delays in the flags' own units: the generator wants the shortest no longer than the longest, and says so
 * in milliseconds of fields the user never typed.
 */
export function labelDelayProblem(minHours: number, maxDays: number): string | null {
  if (maxDays * 24 >= minHours) return null;
  return (
    `--label-delay-max-days: ${figure(maxDays)} days (${figure(maxDays * 24)} h) is shorter than ` +
    `--label-delay-min-hours ${figure(minHours)}: give at least ${figure(minHours / 24)} days, or fewer hours`
  );
}

const DAY_MS = 86_400_000;

/**
 * Traffic that runs into the future by more than the contract allows: every transaction past `now` plus its skew
 * allowance would be dead-lettered by the worker and refused by the backfill (ABSURD_TIMESTAMP). Said before
 * anything is generated, with the flags to change.
 */
export function futureTrafficProblem(startMs: number, days: number, nowMs: number): string | null {
  const endMs = startMs + days * DAY_MS;
  const latestMs = nowMs + TransactionContract.maxFutureSkewMs;
  if (endMs <= latestMs) return null;
  const iso = (ms: number) => new Date(ms).toISOString();
  return (
    `--start ${iso(startMs)} with --days ${days} runs to ${iso(endMs)}, more than 24 h past now (${iso(nowMs)}): ` +
    'the pipeline dead-letters transactions that far ahead of its clock and the backfill refuses them ' +
    `(ABSURD_TIMESTAMP); start by ${iso(latestMs - days * DAY_MS)}, or simulate fewer --days`
  );
}
