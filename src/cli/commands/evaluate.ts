import type { Command } from 'commander';
import { loadTopology } from '../../config/index.js';
import { createLogger, logLevelFor } from '../../adapters/observability/logger.js';
import { createEvaluatorMetrics } from '../../adapters/observability/metrics.js';
import { startObservabilityServer } from '../../adapters/observability/http-server.js';
import { evaluateToEnd, Evaluator, reportInput, writeEvaluationReport } from '../../evaluation/index.js';

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Delayed-label evaluation, long-running: joins the output topic with the labels topic by transaction id and ' +
        'exports AUC, AP, card precision@100, recall, alert rate and fraud amounts per model version as each scoring ' +
        'day matures, compared with the model card. Rebuilds its state from the topics at every start (commits nothing).',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file, e.g. topologies/card-payments.yaml')
    .option('--metrics-port <port>', 'port of its /metrics (the worker uses the topology’s; default: that + 1)')
    .option('--report-dir <dir>', 'rewrite evaluation.md and evaluation.html here whenever days mature')
    .action(async (options: { topology: string; metricsPort?: string; reportDir?: string }) => {
      const topology = loadTopology(options.topology);
      const log = createLogger({
        name: `${topology.name}-evaluator`,
        level: logLevelFor('info'),
      });
      // Its own metric set: the evaluator is not a worker, and worker rules must not see it as one.
      const metrics = createEvaluatorMetrics(topology.name);
      const reportDir = options.reportDir;
      const evaluator: Evaluator = new Evaluator({
        topology,
        log,
        metrics,
        onMatured: () => {
          if (!reportDir) return;
          void reportInput(evaluator, topology, new Date())
            .then((input) => writeEvaluationReport(reportDir, input))
            .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not write the report'));
        },
      });
      const http = await startObservabilityServer({
        host: topology.metrics.host,
        port: options.metricsPort !== undefined ? Number(options.metricsPort) : topology.metrics.port + 1,
        registry: metrics.registry,
        health: { unhealthyReason: () => null },
      });
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
        'writes evaluation.md and evaluation.html (plots of each metric by scoring day and by label age).',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .option('--out <dir>', 'where to write the report', 'reports')
    .option('--timeout <seconds>', 'give up reading the topics after this long', '300')
    .action(async (options: { topology: string; out: string; timeout: string }) => {
      const topology = loadTopology(options.topology);
      const log = createLogger({
        name: `${topology.name}-evaluator`,
        level: logLevelFor('warn'),
      });
      const { input } = await evaluateToEnd({ topology, log, timeoutMs: Number(options.timeout) * 1000 });
      const paths = await writeEvaluationReport(options.out, input);
      process.stdout.write(
        `${input.matured.length} day/model rows final, ${input.openDays.length} days waiting for labels\n`,
      );
      process.stdout.write(`wrote ${paths.markdown} and ${paths.html}\n`);
    });
}
