import type { Command } from 'commander';
import { runDemo } from '../../demo/run-demo.js';
import { runLifecycleDemo } from '../../demo/lifecycle-demo.js';
import { missingPath } from '../project-paths.js';

/** The default topology is relative to the project root: from elsewhere, say so rather than "cannot read the file". */
function requireTopology(file: string): void {
  const missing = missingPath(file, 'topology file');
  if (missing !== null) throw new Error(`--topology: ${missing}; run from the project root or pass -t <file>`);
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Stream seeded simulated card traffic through the pipeline on the local stack and print a summary.')
    .option('-t, --topology <file>', 'topology to base the demo on', 'topologies/card-payments.yaml')
    .option(
      '--seed <n>',
      'simulation seed (the demo model was trained on seed 42; 7 keeps the demo out of sample)',
      '7',
    )
    // The demo champion's population (the handbook's): its drift references and expectations are read against it.
    .option('--customers <n>', 'simulated customers', '5000')
    .option('--terminals <n>', 'simulated terminals', '10000')
    .option('--days <n>', 'simulated days', '30')
    .option('--invalid-rate <x>', 'extra hostile records per transaction (bad bytes, NaN amounts, ...)', '0.002')
    .option('--keep', 'keep the demo topics and Redis keys for inspection')
    .action(
      async (options: {
        topology: string;
        seed: string;
        customers: string;
        terminals: string;
        days: string;
        invalidRate: string;
        keep?: boolean;
      }) => {
        requireTopology(options.topology);
        await runDemo({
          topologyFile: options.topology,
          simulation: {
            seed: Number(options.seed),
            customers: Number(options.customers),
            terminals: Number(options.terminals),
            days: Number(options.days),
            invalidRate: Number(options.invalidRate),
          },
          keep: options.keep === true,
          out: process.stdout,
        });
      },
    );

  program
    .command('demo-lifecycle')
    .description(
      'The model lifecycle on simulated traffic: shadow and its report, a staged 1-5-25-50-100 % rollout judged by ' +
        'the gates, a broken challenger rolled back automatically, a kill switch flipped and timed.',
    )
    .option('-t, --topology <file>', 'topology to base the demo on', 'topologies/card-payments.yaml')
    .option('--days <n>', 'simulated days of traffic', '40')
    .option('--seed <n>', 'simulation seed', '7')
    .option('--min-records <n>', 'records per stage before its gates are judged', '2000')
    .option('--report-dir <dir>', 'where the shadow report goes', 'reports')
    .option('--workers <n>', 'workers (1 or 2)', '1')
    .option('--latency-slo-ms <ms>', 'serving SLO the latency gate judges model runs by (a shared machine)', '2000')
    .action(
      async (options: {
        topology: string;
        days: string;
        seed: string;
        minRecords: string;
        reportDir: string;
        latencySloMs: string;
        workers: string;
      }) => {
        requireTopology(options.topology);
        await runLifecycleDemo({
          topologyFile: options.topology,
          days: Number(options.days),
          seed: Number(options.seed),
          minRecords: Number(options.minRecords),
          reportDir: options.reportDir,
          latencySloMs: Number(options.latencySloMs),
          workers: Math.min(2, Math.max(1, Number(options.workers))),
          out: process.stdout,
        });
        // Everything the demo opened is closed; a client a failed worker left behind (a fenced producer's retries)
        // must not keep the terminal waiting. Output is written synchronously, so nothing is lost.
        process.exit(process.exitCode ?? 0);
      },
    );
}
