import type { Command } from 'commander';
import { loadTopology, topologyJsonSchema, TopologyError } from '../../config/index.js';

export function registerTopologyCommands(program: Command): void {
  program
    .command('lint')
    .description('Validate topology files; exits non-zero and names each bad field and its fix.')
    .argument('<files...>', 'topology YAML files')
    .action((files: string[]) => {
      let failed = false;
      for (const file of files) {
        try {
          const topology = loadTopology(file);
          process.stdout.write(
            `${file}: ok (${topology.name}: ${topology.topics.input} -> ${topology.topics.output})\n`,
          );
        } catch (error) {
          failed = true;
          process.stderr.write(`${error instanceof TopologyError ? error.message : String(error)}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });

  program
    .command('topology')
    .description('Topology helpers.')
    .command('schema')
    .description('Print the topology JSON Schema (for editors and CI validation).')
    .action(() => {
      process.stdout.write(`${JSON.stringify(topologyJsonSchema(), null, 2)}\n`);
    });
}
