import type { Command } from 'commander';
import { DEFAULT_REGISTRY_DIR } from '../../adapters/model-registry/index.js';
import { parseModelRef } from '../../core/models/index.js';
import { DEFAULT_WORK_DIR, retrain, WORK_MARKER, type ComparisonRow } from '../../training/retrain.js';
import { runStoppable } from '../stoppable.js';

/** Long hashes are cut for the terminal; equality is always decided on the full values. */
function cell(text: string): string {
  return /^[0-9a-f]{64}$/.test(text) ? `${text.slice(0, 16)}…` : text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function lines(rows: readonly ComparisonRow[]): string[] {
  const table = [
    ['check', 'recorded', 'retrained', 'result'],
    ...rows.map((r) => [
      r.check,
      cell(r.recorded),
      cell(r.retrained),
      r.same ? 'same' : r.counts ? 'DIFFERENT' : 'differs (info)',
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((text, c) => (c === row.length - 1 ? text : text.padEnd(widths[c]!))).join('  '));
}

export function registerRetrainCommand(program: Command): void {
  program
    .command('retrain')
    .description(
      'Rebuild a registered model from the raw data its card names (the seeded simulation again, or the recorded ' +
        'files after checking their sha256), with the recorded backfill and trainer parameters, and compare with ' +
        'the registered version: raw inputs, dataset sha256, model.onnx sha256, metrics. Exits 1 on any difference.',
    )
    .argument('<ref>', 'name@version (or name@champion)')
    .option('--registry <dir>', 'registry directory', DEFAULT_REGISTRY_DIR)
    .option(
      '--work <dir>',
      'scratch directory for raw data, tables and the retrained model, emptied on every run: it must be new, empty, ' +
        `or one retrain made (marked by a ${WORK_MARKER} file)`,
      DEFAULT_WORK_DIR,
    )
    .option('--python <path>', 'Python with the trainer dependencies (default: training/.venv/bin/python)')
    .action(async (text: string, options: { registry: string; work: string; python?: string }) => {
      const parsed = parseModelRef(text);
      if (!parsed.ok) throw new Error(parsed.problem);
      // Ctrl-C or SIGTERM stops the run, the trainer with it (it would otherwise train on, orphaned, for minutes).
      const result = await runStoppable(
        'retrain',
        `stopped, the trainer too if it had started; ${options.work} keeps what was made so far (the next retrain ` +
          'there empties it)',
        (signal) =>
          retrain({
            registry: options.registry,
            name: parsed.ref.name,
            version: parsed.ref.version,
            work: options.work,
            ...(options.python ? { python: options.python } : {}),
            log: (line) => process.stderr.write(`retrain: ${line}\n`),
            signal,
          }),
      );
      if (result === null) return;
      const out = (line = ''): boolean => process.stdout.write(`${line}\n`);
      out(`retrain ${result.ref} from raw data (work dir ${options.work})`);
      for (const line of lines(result.rows)) out(`  ${line}`);
      const phases = Object.entries(result.phasesMs)
        .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
        .join(', ');
      out(`wall time ${(result.elapsedMs / 1000).toFixed(1)} s (${phases})`);
      const differing = result.rows.filter((r) => r.counts && !r.same).length;
      out(
        differing === 0
          ? 'IDENTICAL: same raw inputs, dataset, model bytes and metrics'
          : `DIFFERENT: ${differing} check(s) differ`,
      );
      if (differing > 0) process.exitCode = 1;
    });
}
