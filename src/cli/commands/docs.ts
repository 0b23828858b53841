import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { parseModelRef } from '../../core/models/ref.js';
import { makeDirectories } from '../../adapters/files/make-directories.js';
import { openFsRegistry } from '../../adapters/model-registry/index.js';
import { readContractInputs, renderContract } from '../../docs/index.js';
import { loadTopology } from '../../config/index.js';
import type { ControlView } from '../../core/control/index.js';
import { openControl } from '../../lifecycle/connect.js';
import { topologyChampionOf, type ControlOperations } from '../../lifecycle/operations.js';
import { renderRunbook, type DrillRecord } from '../../lifecycle/runbook.js';
import { TimedOut, withTimeout } from '../../runtime/timeout.js';

/** The fields of a drill record the runbook quotes (load-tests/rollback-drill.ts writes more). */
const drillRecord = z.object({
  at: z.string(),
  ok: z.boolean(),
  fullEffectMs: z.number(),
  events: z.number(),
  lost: z.number(),
  duplicated: z.number(),
  workers: z.array(z.object({ instance: z.string(), applyMs: z.number() })),
});

/**
 * The last drill, or null when none has been recorded at the default path. A file given with --drill must exist; one
 * that is not JSON, or not a drill record, is named with what is wrong instead of failing inside the renderer.
 */
export function readLastDrill(file: string, given: boolean): DrillRecord | null {
  const rerun = 'run `node dist/load-tests/rollback-drill.js` against the stack to write one';
  if (!existsSync(file)) {
    if (given) throw new Error(`--drill: no file at ${file}`);
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`--drill: ${file} is not valid JSON (${(error as Error).message}); ${rerun}`, { cause: error });
  }
  const parsed = drillRecord.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new Error(`--drill: ${file} is not a drill record (${where}${issue?.message ?? 'invalid'}); ${rerun}`);
  }
  return parsed.data;
}

/**
 * How long the runbook waits for the control topic: it is most needed when Kafka is in trouble, and a runbook with the
 * serving state marked unknown beats none. Kafka refusing connections fails sooner (kafkajs gives up after about 12 s
 * of retries); this bounds a broker that does not answer at all. Reading a healthy control topic takes a second or two.
 */
export const RUNBOOK_CONTROL_TIMEOUT_MS = 10_000;

const SERVING_SECTION = '## What serves now';

/**
 * The runbook's "What serves now" section replaced by a note that the serving state is unknown, and why, beside the
 * topology's own model (what serves when the control topic has no champion). Everything else the runbook says holds
 * whatever serves. A renderer without that section gets the note at the top.
 */
export function withServingStateUnknown(runbook: string, why: string, topologyFile: string, topologyModel: string) {
  const note = [
    `- Serving state UNKNOWN: the control topic could not be read (${why}). Champion, challenger and kill switch ` +
      `target are not known; once Kafka is reachable: \`fraudscore control status -t ${topologyFile}\`.`,
    `- The topology's model, which serves unless the control topic says otherwise: \`${topologyModel}\``,
  ];
  const lines = runbook.split('\n');
  const start = lines.indexOf(SERVING_SECTION);
  if (start === -1) return [...note, '', runbook].join('\n');
  const next = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const end = next === -1 ? lines.length : next;
  return [...lines.slice(0, start + 1), '', ...note, '', ...lines.slice(end)].join('\n');
}

/** Writes a document to `--out`, making its directory as `backfill --out` does; a failure names the flag. */
function writeOut(path: string, text: string): void {
  try {
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new Error(`--out ${path}: is a directory; name the file to write in it`);
    }
    makeDirectories(dirname(path));
    writeFileSync(path, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new Error(`--out ${path}: cannot write it (${code}); name a file in a directory you may write`);
  }
}

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
      if (flags.out) writeOut(flags.out, text);
      else process.stdout.write(text);
    });
  docs
    .command('runbook')
    .description(
      'The runbook: who may flip the kill switch, the exact commands, expected time to effect, last drill, and what ' +
        'to do when each alert fires.',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .option('--drill <file>', 'the last drill result', 'docs/drills/rollback-drill.json')
    .option('-o, --out <file>', 'write the runbook here (e.g. docs/runbook.md) instead of stdout')
    .action(async (options: { topology: string; drill: string; out?: string }, command: Command) => {
      // Before any connection: a drill file that cannot be quoted ends the command at once.
      const lastDrill = readLastDrill(options.drill, command.getOptionValueSource('drill') === 'cli');
      // The playbooks need no connection: a Kafka client that cannot even be set up here (the secured topology's CA
      // file exists only in the pod) leaves the serving state unknown, not the runbook unprinted.
      const topology = loadTopology(options.topology);
      let ops: ControlOperations | undefined;
      let read: Promise<ControlView>;
      try {
        ops = openControl(options.topology).ops;
        read = ops.view();
      } catch (error) {
        read = Promise.reject(error as Error);
      }
      const view = await withTimeout(read, RUNBOOK_CONTROL_TIMEOUT_MS).catch((error: unknown) => {
        // A read given up on may still fail later: nothing waits for it any more.
        read.catch(() => undefined);
        const unreadable =
          error instanceof TimedOut
            ? `the control topic: no answer within ${RUNBOOK_CONTROL_TIMEOUT_MS / 1000} s`
            : (error as Error).message;
        return { unreadable };
      });
      const unknown = 'unreadable' in view;
      const champion = (!unknown && view.state.champion) || (await topologyChampionOf(topology));
      const ref = parseModelRef(champion);
      const card = ref.ok
        ? (await openFsRegistry(topology.model.registry).show(ref.ref.name, ref.ref.version)).card
        : null;
      const killTarget =
        unknown || !ops
          ? { problem: 'unknown, the control topic could not be read' }
          : await ops.killTarget(view).catch((error: unknown) => ({ problem: (error as Error).message }));
      const rendered = renderRunbook({
        topology,
        topologyFile: options.topology,
        champion,
        cardRollbackTarget: card?.rollbackTarget ?? null,
        killTarget,
        challenger: unknown ? null : (view.state.challenger?.model ?? null),
        rolloutGates: unknown ? undefined : view.state.challenger?.gates,
        lastDrill,
        generatedAt: new Date().toISOString(),
      });
      const text = unknown ? withServingStateUnknown(rendered, view.unreadable, options.topology, champion) : rendered;
      if (unknown) process.stderr.write(`fraudscore: serving state unknown in the runbook: ${view.unreadable}\n`);
      if (options.out) writeOut(options.out, text);
      else process.stdout.write(text);
    });
}
