import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseModelRef } from '../../core/models/ref.js';
import { openFsRegistry } from '../../adapters/model-registry/index.js';
import { readContractInputs, renderContract } from '../../docs/index.js';
import { openControl } from '../../lifecycle/connect.js';
import { renderRunbook, type DrillRecord } from '../../lifecycle/runbook.js';

export function registerDocsCommand(program: Command): void {
  const docs = program
    .command('docs')
    .description('Documents generated from the code, the schemas, the topology, the registry and the control topic.');
  docs
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
  docs
    .command('runbook')
    .description(
      'The rollback runbook: who may flip the switch, the exact commands, expected time to effect, last drill.',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .option('--drill <file>', 'the last drill result', 'docs/drills/rollback-drill.json')
    .option('--out <file>', 'write the runbook here instead of stdout')
    .action(async (options: { topology: string; drill: string; out?: string }) => {
      const { topology, ops } = openControl(options.topology);
      const view = await ops.view();
      const champion = view.state.champion ?? (await ops.topologyChampion());
      const ref = parseModelRef(champion);
      const card = ref.ok
        ? (await openFsRegistry(topology.model.registry).show(ref.ref.name, ref.ref.version)).card
        : null;
      const killTarget = await ops.killTarget(view).catch((error: unknown) => ({ problem: (error as Error).message }));
      const lastDrill = existsSync(options.drill)
        ? (JSON.parse(readFileSync(options.drill, 'utf8')) as DrillRecord)
        : null;
      const text = renderRunbook({
        topology,
        topologyFile: options.topology,
        champion,
        cardRollbackTarget: card?.rollbackTarget ?? null,
        killTarget,
        challenger: view.state.challenger?.model ?? null,
        lastDrill,
        generatedAt: new Date().toISOString(),
      });
      if (options.out) writeFileSync(options.out, text);
      else process.stdout.write(text);
    });
}
