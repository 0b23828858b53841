import type { Command } from 'commander';
import { loadTopology, topologyJsonSchema, TopologyError } from '../../config/index.js';
import { verifiedServingModel } from '../../runtime/load-model.js';
import { connecting, StartupError } from '../../runtime/startup-errors.js';

/**
 * One file's lint: the topology validates, and its workers would load its model. The second is I/O (model.registry is
 * a directory), so it stays out of the schema: the registry holds the model, its card.json and model.onnx have the
 * SHA-256 the registry recorded, it was trained on the feature schema the topology computes, and its session loads
 * and scores a trial batch, checked by the code start-up runs. Returns what to print.
 */
export async function lintTopologyFile(file: string): Promise<{ readonly ok: boolean; readonly text: string }> {
  let topology;
  try {
    topology = loadTopology(file);
  } catch (error) {
    if (error instanceof TopologyError) return { ok: false, text: error.message };
    throw error;
  }
  try {
    const model = await connecting('model', topology, () => verifiedServingModel(topology));
    return {
      ok: true,
      text: `${file}: ok (${topology.name}: ${topology.topics.input} -> ${topology.topics.output}, model ${model})`,
    };
  } catch (error) {
    // The explained failure already starts with the field (model.registry, model.name or model.version).
    if (error instanceof StartupError) return { ok: false, text: `invalid topology ${file}:\n  - ${error.message}` };
    throw error;
  }
}

export function registerTopologyCommands(program: Command): void {
  program
    .command('lint')
    .description(
      'Validate topology files, and that the model each names is one its workers would load (registered, unmodified, ' +
        "trained on the topology's feature schema, scoring a trial batch); exits non-zero and names each bad field and its fix.",
    )
    .argument('<files...>', 'topology YAML files')
    .action(async (files: string[]) => {
      let failed = false;
      for (const file of files) {
        let result;
        try {
          result = await lintTopologyFile(file);
        } catch (error) {
          result = { ok: false, text: String(error) };
        }
        if (result.ok) process.stdout.write(`${result.text}\n`);
        else {
          failed = true;
          process.stderr.write(`${result.text}\n`);
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
