import type { Command } from 'commander';
import { runDemo } from '../../demo/run-demo.js';
import { runLifecycleDemo } from '../../demo/lifecycle-demo.js';
import { decimal, integer } from '../arguments.js';
import { missingPath } from '../project-paths.js';
import { checkSimulationOptions } from '../simulation-flags.js';

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
      integer(),
      7,
    )
    // The demo champion's population (the handbook's): its drift references and expectations are read against it.
    .option('--customers <n>', 'simulated customers', integer({ min: 1 }), 5000)
    .option('--terminals <n>', 'simulated terminals', integer({ min: 1 }), 10000)
    .option('--days <n>', 'simulated days', integer({ min: 1 }), 30)
    .option(
      '--invalid-rate <x>',
      'extra hostile records per transaction, 0 to 1 (bad bytes, NaN amounts, ...)',
      decimal({ max: 1 }),
      0.002,
    )
    .option('--keep', 'keep the demo topics and Redis keys for inspection')
    .action(
      async (options: {
        topology: string;
        seed: number;
        customers: number;
        terminals: number;
        days: number;
        invalidRate: number;
        keep?: boolean;
      }) => {
        requireTopology(options.topology);
        const simulation = {
          seed: options.seed,
          customers: options.customers,
          terminals: options.terminals,
          days: options.days,
          invalidRate: options.invalidRate,
        };
        // The generator's ranges, checked before the pipeline starts rather than when the simulation does.
        checkSimulationOptions(simulation);
        const stopped = await runDemo({
          topologyFile: options.topology,
          simulation,
          keep: options.keep === true,
          out: process.stdout,
        });
        // Interrupted: what the demo was reading when the signal came is not waited for.
        if (stopped) process.exit(stopped.exitCode);
      },
    );

  program
    .command('demo-lifecycle')
    .description(
      'The model lifecycle on simulated traffic: shadow and its report, a staged 1-5-25-50-100 % rollout judged by ' +
        'the gates, a broken challenger rolled back automatically, a kill switch flipped and timed.',
    )
    .option('-t, --topology <file>', 'topology to base the demo on', 'topologies/card-payments.yaml')
    .option('--days <n>', 'simulated days of traffic', integer({ min: 1 }), 40)
    .option('--seed <n>', 'simulation seed', integer(), 7)
    .option('--min-records <n>', 'records per stage before its gates are judged', integer({ min: 1 }), 2000)
    .option('--report-dir <dir>', 'where the shadow report goes', 'reports')
    .option('--workers <n>', 'workers (1 or 2)', integer({ min: 1, max: 2 }), 1)
    .option(
      '--latency-slo-ms <ms>',
      'serving SLO the latency gate judges model runs by (a shared machine)',
      decimal({ minExcluded: true }),
      2000,
    )
    .action(
      async (options: {
        topology: string;
        days: number;
        seed: number;
        minRecords: number;
        reportDir: string;
        latencySloMs: number;
        workers: number;
      }) => {
        requireTopology(options.topology);
        checkSimulationOptions({ seed: options.seed, days: options.days });
        await runLifecycleDemo({
          topologyFile: options.topology,
          days: options.days,
          seed: options.seed,
          minRecords: options.minRecords,
          reportDir: options.reportDir,
          latencySloMs: options.latencySloMs,
          workers: options.workers,
          out: process.stdout,
        });
        // Everything the demo opened is closed; a client a failed worker left behind (a fenced producer's retries)
        // must not keep the terminal waiting. Output is written synchronously, so nothing is lost.
        process.exit(process.exitCode ?? 0);
      },
    );
}
