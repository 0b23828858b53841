import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  findInlineCredential,
  inlineCredentialMessage,
  loadTopology,
  registryUrlSchema,
  type Connecting,
} from '../../config/index.js';
import { createProgress } from '../../adapters/observability/progress.js';
import {
  DAY_MS,
  DEFAULT_SIMULATION_OPTIONS,
  DRIFT_SCENARIOS,
  HOUR_MS,
  MAX_LABEL_DELAY_MS,
  explainEmptyRun,
  type DriftScenario,
  type SimulationOptions,
  type SimulationSummary,
} from '../../core/simulate/index.js';
import {
  DEFAULT_BROKERS,
  DEFAULT_REGISTRY_URL,
  OutputFormat,
  formatSummary,
  kafkaSettingsFromEnv,
  kafkaSettingsFromTopology,
  simulateToFiles,
  simulateToKafka,
  splitBrokers,
  type ProgressListener,
  type SimulatorKafkaSettings,
} from '../../simulate/index.js';
import { connectingFor } from '../../runtime/startup-errors.js';
import { parseIsoTime } from '../../backfill/iso-time.js';
import { decimal, integer } from '../arguments.js';
import { runStoppable } from '../stoppable.js';
import {
  checkSimulationOptions,
  futureTrafficProblem,
  labelDelayProblem,
  simulateFlagProblems,
} from '../simulation-flags.js';
import { emptySimulationMessage } from '../empty-simulation.js';

interface SimulateFlags {
  outDir?: string;
  format: OutputFormat;
  kafka?: boolean;
  brokers: string;
  topology?: string;
  registryUrl: string;
  topic: string;
  labelsTopic: string;
  partitions: number;
  rate: number;
  batchSize: number;
  seed: number;
  customers: number;
  terminals: number;
  days: number;
  start: number;
  labelDelayMinHours: number;
  labelDelayMaxDays: number;
  genuineLabelRate: number;
  invalidRate: number;
  drift: DriftScenario;
  driftFromDay: number;
  driftAmountFactor: number;
  json?: boolean;
}

/**
 * An instant as `backfill --from` takes one: epoch milliseconds, or ISO 8601 with an explicit zone (a bare date means
 * UTC midnight). Local time would make the data host-dependent.
 */
function instant(value: string): number {
  const text = value.trim();
  if (/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  const time = parseIsoTime(text, { dateAlone: true });
  if (time === null) {
    throw new InvalidArgumentError(
      'expected an ISO 8601 instant with a zone (e.g. 2026-01-05T00:00:00Z), a date, or epoch milliseconds',
    );
  }
  // Date.parse alone would roll 2026-02-30 over to March 2: the simulated calendar would start elsewhere silently.
  if ('impossible' in time) throw new InvalidArgumentError(`"${value}" is not on the calendar: ${time.impossible}`);
  return time.ms;
}

/** An instant as the help shows it and --start takes it back: 2026-01-05T00:00:00Z, not epoch milliseconds. */
function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Maps flags to the generator's options; the generator validates ranges and names the field on error. */
function simulationOptions(flags: SimulateFlags): Partial<SimulationOptions> {
  return {
    seed: flags.seed,
    customers: flags.customers,
    terminals: flags.terminals,
    days: flags.days,
    startMs: flags.start,
    labelDelayMinMs: Math.round(flags.labelDelayMinHours * HOUR_MS),
    labelDelayMaxMs: Math.round(flags.labelDelayMaxDays * DAY_MS),
    genuineLabelRate: flags.genuineLabelRate,
    invalidRate: flags.invalidRate,
    driftScenario: flags.drift,
    driftFromDay: flags.driftFromDay,
    driftAmountFactor: flags.driftAmountFactor,
  };
}

/** The flags that name an address, the variable each defaults to, and the topology section credentials belong in. */
const ADDRESS_FLAGS = [
  { key: 'brokers', flag: '--brokers', variable: 'FRAUDSCORE_KAFKA_BROKERS', section: 'kafka.sasl' },
  { key: 'registryUrl', flag: '--registry-url', variable: 'FRAUDSCORE_REGISTRY_URL', section: 'schemaRegistry' },
] as const;

/**
 * Addresses are printed (in progress, summaries and connection errors), so none may carry a credential, as in a
 * topology; the flags have no credential settings of their own: those come with a topology (-t). The registry
 * address is checked as a topology's schemaRegistry.url is.
 */
function checkAddresses(flags: SimulateFlags, command: Command): void {
  for (const { key, flag, variable, section } of ADDRESS_FLAGS) {
    const where = command.getOptionValueSource(key) === 'env' ? `${flag} (from ${variable})` : flag;
    const addresses = key === 'brokers' ? splitBrokers(flags.brokers) : [flags.registryUrl || DEFAULT_REGISTRY_URL];
    for (const address of addresses) {
      const found = findInlineCredential(address);
      if (found) {
        throw new Error(
          `${where}: ${inlineCredentialMessage(found, section)} of a topology, and simulate with -t <file>`,
        );
      }
      const problem = key === 'registryUrl' ? registryUrlSchema.safeParse(address).error?.issues[0] : undefined;
      if (problem) throw new Error(`${where}: ${problem.message}`);
    }
  }
}

interface KafkaTarget {
  readonly kafka: SimulatorKafkaSettings;
  readonly connecting?: Connecting;
}

/**
 * Kafka settings from a topology file when given (its TLS and SASL too, and its connection failures explained as a
 * worker's are), else from flags (whose defaults come from the environment).
 */
function kafkaSettings(flags: SimulateFlags, command: Command): KafkaTarget {
  if (flags.topology) {
    const topology = loadTopology(flags.topology);
    return { kafka: kafkaSettingsFromTopology(topology), connecting: connectingFor(topology) };
  }
  checkAddresses(flags, command);
  return {
    kafka: {
      ...kafkaSettingsFromEnv(process.env),
      // An empty variable means its default, as kafkaSettingsFromEnv reads it.
      brokers: splitBrokers(flags.brokers || DEFAULT_BROKERS),
      registry: { url: flags.registryUrl || DEFAULT_REGISTRY_URL },
      transactionsTopic: flags.topic,
      labelsTopic: flags.labelsTopic,
      partitions: flags.partitions,
    },
  };
}

interface RunOutcome {
  readonly summary: SimulationSummary;
  readonly options: SimulationOptions;
  /** Where the data went, one line per destination. */
  readonly output: string[];
}

async function run(
  flags: SimulateFlags,
  target: KafkaTarget | undefined,
  signal: AbortSignal,
  onProgress?: ProgressListener,
): Promise<RunOutcome> {
  const common = { simulation: simulationOptions(flags), signal, ...(onProgress ? { onProgress } : {}) };
  if (target) {
    const { kafka } = target;
    const result = await simulateToKafka({
      ...common,
      ...target,
      ratePerSecond: flags.rate,
      batchSize: flags.batchSize,
    });
    const topic = (name: string, records: number, schemaId: number): string =>
      `${name} (${records} records, schema id ${schemaId})`;
    return {
      ...result,
      output: [
        `kafka ${kafka.brokers.join(',')}: ${topic(kafka.transactionsTopic, result.inputMessages, result.transactionSchemaId)}, ` +
          topic(kafka.labelsTopic, result.labelMessages, result.labelSchemaId),
      ],
    };
  }
  const result = await simulateToFiles({ ...common, outDir: flags.outDir!, format: flags.format });
  return { ...result, output: [result.transactionsFile, result.labelsFile] };
}

/** Progress over simulated days on stderr: a bar at a terminal, a plain line every few seconds elsewhere. */
function progressBar(flags: SimulateFlags): { listener?: ProgressListener; stop: () => void } {
  if (flags.json) return { stop: () => undefined };
  const progress = createProgress<{ transactions: number; labels: number }>({
    stream: process.stderr,
    bar: 'simulate [{bar}] day {value}/{total} | {transactions} transactions | {labels} labels',
    line: (day, days, p) => `simulate: day ${day}/${days}, ${p.transactions} transactions, ${p.labels} labels`,
  });
  progress.update(0, flags.days, { transactions: 0, labels: 0 });
  return {
    listener: (p) => {
      const day = Math.min(flags.days, Math.max(0, Math.floor((p.simulatedTimeMs - flags.start) / DAY_MS)));
      progress.update(day, flags.days, { transactions: p.transactions, labels: p.labels });
    },
    stop: () => progress.stop(),
  };
}

export function registerSimulateCommand(program: Command): void {
  const env = kafkaSettingsFromEnv(process.env);
  const d = DEFAULT_SIMULATION_OPTIONS;
  program
    .command('simulate')
    .description(
      'Generate seeded card traffic with injected fraud (outlier amounts, compromised terminals, compromised cards) ' +
        'and delayed labels, to files or to Kafka. Same seed and options, same bytes.',
    )
    .option('--out-dir <dir>', 'write events.<ext> and labels.<ext> here')
    .addOption(
      new Option('--format <format>', 'with --out-dir: file format')
        .choices(Object.values(OutputFormat))
        .default('jsonl'),
    )
    .option('--kafka', 'produce to Kafka (Avro, Confluent wire format) instead of files')
    .option(
      '-t, --topology <file>',
      'with --kafka: take brokers (with TLS and SASL), registry and topics from this topology',
    )
    // Defaults from the environment are named, never printed: a variable may hold what this command refuses.
    .addOption(
      new Option('--brokers <list>', 'with --kafka, without -t: Kafka bootstrap servers, comma-separated')
        .env('FRAUDSCORE_KAFKA_BROKERS')
        .default(DEFAULT_BROKERS),
    )
    .addOption(
      new Option(
        '--registry-url <url>',
        'with --kafka, without -t: Confluent-compatible schema registry API (no credentials: use -t)',
      )
        .env('FRAUDSCORE_REGISTRY_URL')
        .default(DEFAULT_REGISTRY_URL),
    )
    .option('--topic <name>', 'with --kafka, without -t: input (transactions) topic', env.transactionsTopic)
    .option('--labels-topic <name>', 'with --kafka, without -t: labels topic', env.labelsTopic)
    .option(
      '--partitions <n>',
      'with --kafka, without -t: partitions of topics that have to be created',
      integer({ min: 1 }),
      env.partitions,
    )
    .option('--rate <n>', 'with --kafka: input records per second (0 = as fast as possible)', decimal(), 0)
    .option('--batch-size <n>', 'with --kafka: Kafka messages per produce request', integer({ min: 1 }), 1_000)
    .option('--seed <n>', 'random seed', integer(), d.seed)
    .option('--customers <n>', 'number of customers', integer({ min: 1 }), d.customers)
    .option('--terminals <n>', 'number of terminals', integer({ min: 1 }), d.terminals)
    .option('--days <n>', 'days of traffic', integer({ min: 1 }), d.days)
    .addOption(
      new Option('--start <instant>', 'first simulated instant (ISO 8601 with a zone, a date, or epoch ms)')
        .argParser(instant)
        .default(d.startMs, isoInstant(d.startMs)),
    )
    .option(
      '--label-delay-min-hours <h>',
      `shortest delay from payment to label (at most ${MAX_LABEL_DELAY_MS / HOUR_MS})`,
      decimal({ max: MAX_LABEL_DELAY_MS / HOUR_MS }),
      d.labelDelayMinMs / HOUR_MS,
    )
    .option(
      '--label-delay-max-days <d>',
      `longest delay from payment to label (at most ${MAX_LABEL_DELAY_MS / DAY_MS}, the features' label delay)`,
      decimal({ max: MAX_LABEL_DELAY_MS / DAY_MS }),
      d.labelDelayMaxMs / DAY_MS,
    )
    .option(
      '--genuine-label-rate <p>',
      'share of genuine payments that get a label (frauds always do)',
      decimal({ max: 1 }),
      d.genuineLabelRate,
    )
    .option(
      '--invalid-rate <p>',
      'extra hostile records per payment, with --kafka (bad bytes, unknown schema id, bad amounts/times/ids; ids bad-*)',
      decimal({ max: 1 }),
      0,
    )
    .addOption(
      new Option('--drift <scenario>', 'declared drift for monitoring drills (amounts or terminal population)')
        .choices(DRIFT_SCENARIOS)
        .default(d.driftScenario),
    )
    .option(
      '--drift-from-day <n>',
      'with --drift: first simulated day (from 0, below --days) with the drift',
      integer(),
      d.driftFromDay,
    )
    .option(
      '--drift-amount-factor <x>',
      'with --drift amount-shift: amounts multiplied by this',
      decimal({ minExcluded: true }),
      d.driftAmountFactor,
    )
    .option('--json', 'print the summary as JSON')
    .action(async (flags: SimulateFlags, command: Command) => {
      if (Boolean(flags.kafka) === (flags.outDir !== undefined)) {
        throw new InvalidArgumentError('choose one output: --out-dir <dir> (files) or --kafka');
      }
      // Before the progress bar: options, a topology or an address that is refused end the command with the reason.
      const problems = simulateFlagProblems(
        {
          kafka: flags.kafka === true,
          topology: flags.topology !== undefined,
          drift: flags.drift,
          driftFromDay: flags.driftFromDay,
          days: flags.days,
        },
        (flag) => command.getOptionValueSource(flag) === 'cli',
      );
      const delays = labelDelayProblem(flags.labelDelayMinHours, flags.labelDelayMaxDays);
      if (delays !== null) problems.push(delays);
      if (problems.length > 0) throw new Error(problems.join('; '));
      const generator = checkSimulationOptions(simulationOptions(flags));
      const future = futureTrafficProblem(generator.startMs, generator.days, Date.now());
      if (future !== null) throw new Error(future);
      const target = flags.kafka ? kafkaSettings(flags, command) : undefined;
      // Ctrl-C or SIGTERM stops the run: the partial files are removed (what reached Kafka stays there).
      const bar = progressBar(flags);
      const started = performance.now();
      const outcome = await runStoppable(
        'simulate',
        target ? 'the records produced so far stay in the topics' : 'no file written',
        (signal) => run(flags, target, signal, bar.listener).finally(() => bar.stop()),
      );
      if (outcome === null) return;
      const elapsedMs = performance.now() - started;
      const { summary, options, output } = outcome;
      // No transaction means no record at all (labels and hostile records follow payments): a failure, with its cause.
      if (summary.transactions === 0) throw new Error(emptySimulationMessage(explainEmptyRun(options), output));
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ ...summary, output, elapsedMs: Math.round(elapsedMs) })}\n`
          : formatSummary(summary, options, output, elapsedMs),
      );
    });
}
