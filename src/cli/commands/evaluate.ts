import type { Command } from 'commander';
import { loadTopology } from '../../config/index.js';
import { createLogger, logLevelFor } from '../../adapters/observability/logger.js';
import { createEvaluatorMetrics } from '../../adapters/observability/metrics.js';
import { startObservabilityServer } from '../../adapters/observability/http-server.js';
import {
  evaluateToEnd,
  Evaluator,
  reportInput,
  reportRewriter,
  writeEvaluationReport,
} from '../../evaluation/index.js';
import { evaluationReportRefusal } from '../../core/report/evaluation-refusal.js';
import { port, seconds } from '../arguments.js';
import { listening, WORKER_METRICS_ADDRESS, type MetricsAddressSettings } from '../../runtime/startup-errors.js';

/** Node's timers wait at most 2^31 - 1 ms; a longer timeout would fire at once. */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * The evaluator's /metrics port: --metrics-port when given, else the one after the worker's (both may run on one
 * host). A topology's port 0 (any free port) stays 0: 0 + 1 would be port 1, a fixed and privileged one.
 */
export function evaluatorPort(workerPort: number, flag: number | undefined): number {
  if (flag !== undefined) return flag;
  if (workerPort === 0) return 0;
  if (workerPort >= 65_535) {
    throw new Error(
      `--metrics-port: the topology's metrics.port is ${workerPort}, with no port after it for the evaluator; ` +
        'pass --metrics-port <port> (0 for any free port)',
    );
  }
  return workerPort + 1;
}

/** Where the evaluator's /metrics address comes from: the worker's host, and a port of its own. */
const EVALUATOR_METRICS_ADDRESS: MetricsAddressSettings = {
  host: WORKER_METRICS_ADDRESS.host,
  port: { field: '--metrics-port', howToSet: "--metrics-port (default: the topology's metrics.port + 1)" },
};

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Delayed-label evaluation, long-running: joins the output topic with the labels topic by transaction id and ' +
        'exports AUC, AP, card precision@100, recall, alert rate and fraud amounts per model version as each scoring ' +
        'day matures, compared with the model card. Rebuilds its state from the topics at every start (commits nothing).',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file, e.g. topologies/card-payments.yaml')
    .option(
      '--metrics-port <port>',
      'port of its /metrics, 0 for any free one (default: the topology’s metrics.port + 1, beside the worker’s; ' +
        'a metrics.port of 0 stays 0)',
      port,
    )
    .option('--report-dir <dir>', 'rewrite evaluation.md and evaluation.html here whenever days mature')
    .action(async (options: { topology: string; metricsPort?: number; reportDir?: string }) => {
      const topology = loadTopology(options.topology);
      const metricsPort = evaluatorPort(topology.metrics.port, options.metricsPort);
      const log = createLogger({
        name: `${topology.name}-evaluator`,
        level: logLevelFor('info'),
      });
      // Its own metric set: the evaluator is not a worker, and worker rules must not see it as one.
      const metrics = createEvaluatorMetrics(topology.name);
      const reportDir = options.reportDir;
      // One write at a time, the latest state winning: days maturing batch after batch (a start catching up) would
      // otherwise start writes that overlap.
      const rewriteReport = reportDir
        ? reportRewriter(reportDir, () => reportInput(evaluator, topology, new Date()))
        : undefined;
      const evaluator: Evaluator = new Evaluator({
        topology,
        log,
        metrics,
        onMatured: () => {
          void rewriteReport?.().catch((error: unknown) =>
            log.warn({ err: (error as Error).message }, 'could not write the report'),
          );
        },
      });
      const metricsAddress = { host: topology.metrics.host, port: metricsPort };
      const http = await listening(metricsAddress, EVALUATOR_METRICS_ADDRESS, () =>
        startObservabilityServer({
          ...metricsAddress,
          registry: metrics.registry,
          health: { unhealthyReason: () => evaluator.unreadyReason() },
        }),
      );
      log.info({ metrics: http.address }, 'evaluator ready');
      const stop = async () => {
        await evaluator.stop();
        await http.close();
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
      void evaluator.failed.then(async (error) => {
        log.error({ err: error.message }, 'exiting after a fatal error');
        await stop().catch(() => undefined);
        process.exit(1);
      });
      try {
        await evaluator.start();
      } catch (error) {
        // An open metrics server would keep the process alive after the reason is printed.
        await stop().catch(() => undefined);
        throw error;
      }
    });

  const report = program.command('report').description('Reports read from the topics.');
  report
    .command('evaluation')
    .description(
      'Reads the output and labels topics to their end, evaluates every scoring day whose labels have matured, and ' +
        'writes evaluation.md and evaluation.html (plots of each metric by scoring day and by label age). With no ' +
        'scoring day final yet it writes nothing, says what it read, and exits 1.',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .option('--out <dir>', 'where to write the report', 'reports')
    .option(
      '--timeout <seconds>',
      'give up reading the topics after this long (seconds, or with a unit: 90s, 10m)',
      seconds({ max: MAX_TIMEOUT_SECONDS }),
      300,
    )
    .action(async (options: { topology: string; out: string; timeout: number }) => {
      const topology = loadTopology(options.topology);
      const log = createLogger({
        name: `${topology.name}-evaluator`,
        level: logLevelFor('warn'),
      });
      const { input, evaluator } = await evaluateToEnd({ topology, log, timeoutMs: options.timeout * 1000 });
      const { scores, labels } = evaluator.recordsRead();
      const refusal = evaluationReportRefusal(input, {
        topics: topology.topics,
        scoresRead: scores,
        labelsRead: labels,
        streamTimeMs: evaluator.streamTimeMs(),
        topologyFile: options.topology,
      });
      if (refusal) throw new Error(refusal);
      const paths = await writeEvaluationReport(options.out, input);
      process.stdout.write(
        `${input.matured.length} day/model rows final, ${input.openDays.length} days waiting for labels\n`,
      );
      process.stdout.write(`wrote ${paths.markdown} and ${paths.html}\n`);
    });
}
