import type { Command } from 'commander';
import { loadTopology } from '../../config/index.js';
import { parseTimeOption, runBackfill } from '../../backfill/index.js';

export function registerBackfillCommand(program: Command): void {
  program
    .command('backfill')
    .description(
      'Build a point-in-time correct training table from historical events and labels, through the same feature definitions as the online pipeline.',
    )
    .requiredOption('-t, --topology <file>', 'topology whose feature set and label delay to use')
    .requiredOption(
      '--events <path>',
      'events file in log order: JSON Lines (.jsonl) or CSV (.csv); see docs/features.md for columns',
    )
    .option('--labels <path...>', 'label files (JSON Lines or CSV)')
    .requiredOption('--out <file>', 'training table to write (CSV); its manifest goes to <file>.manifest.json')
    .option(
      '--from <time>',
      'rows only for events at or after this time (epoch ms or ISO-8601); earlier events still feed the windows',
    )
    .option('--to <time>', 'rows only for events before this time')
    .option(
      '--label-as-of <time>',
      'labels reported after this are not known to the label column (default: latest reported_at)',
    )
    .option('--no-progress', 'no progress bar')
    .action(
      async (options: {
        topology: string;
        events: string;
        labels?: string[];
        out: string;
        from?: string;
        to?: string;
        labelAsOf?: string;
        progress: boolean;
      }) => {
        const topology = loadTopology(options.topology);
        await runBackfill({
          events: options.events,
          ...(options.labels ? { labels: options.labels } : {}),
          out: options.out,
          labelDelayMs: topology.features.labelDelayDays * 86_400_000,
          ...(options.from ? { fromMs: parseTimeOption(options.from, '--from') } : {}),
          ...(options.to ? { toMs: parseTimeOption(options.to, '--to') } : {}),
          ...(options.labelAsOf ? { labelAsOfMs: parseTimeOption(options.labelAsOf, '--label-as-of') } : {}),
          ...(options.progress ? {} : { progress: false }),
        });
      },
    );
}
