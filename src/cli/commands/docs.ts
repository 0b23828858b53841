import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readContractInputs, renderContract } from '../../docs/index.js';

export function registerDocsCommand(program: Command): void {
  program
    .command('docs')
    .description('Documents generated from the code, the schemas and the topology.')
    .command('contract')
    .description(
      'Render the interface contract (schemas field by field, dead letters, SLOs, error budget, ownership, tests).',
    )
    .requiredOption('-t, --topology <file>', 'topology file with a contract section')
    .option('-o, --out <file>', 'write to this file (e.g. docs/contract.md) instead of stdout')
    .action((flags: { topology: string; out?: string }) => {
      const text = renderContract(readContractInputs(flags.topology));
      if (flags.out) writeFileSync(flags.out, text);
      else process.stdout.write(text);
    });
}
