import { isAbsolute, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { missingPath } from '../project-paths.js';
import {
  DEFAULT_REGISTRY_DIR,
  openFsRegistry,
  readModelDir,
  type ModelArtifacts,
  type ModelRegistry,
  type ShownVersion,
  type VerifyReport,
} from '../../adapters/model-registry/index.js';
import type { DiffRow, DiffValue, MetricSet, ModelRef } from '../../core/models/index.js';
import {
  cardCaveats,
  describeSummary,
  LONGEST_SHOWN_VALUE,
  parseModelCard,
  parseModelRef,
} from '../../core/models/index.js';
import { OnnxModelError } from '../../adapters/onnx/onnx-scorer.js';
import { checkScorable } from '../../runtime/load-model.js';
import { connecting } from '../../runtime/startup-errors.js';
import { openControl } from '../../lifecycle/connect.js';
import { promotionEffect } from '../../lifecycle/promotion-effect.js';

interface RegistryOption {
  readonly registry: string;
}

const REGISTRY_HELP = 'registry directory';

function ref(text: string): ModelRef {
  const parsed = parseModelRef(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.ref;
}

/**
 * The registry of --registry, which must exist: its default is relative to the project root, and from elsewhere a
 * missing directory would read as an empty registry ("no models") or a model not found, and exit 0 for a list.
 * `create`: only `register` with --registry given explicitly starts a new registry there.
 */
function open(options: RegistryOption, { create = false } = {}): ModelRegistry {
  const missing = create ? null : missingPath(options.registry, 'model registry');
  if (missing !== null) {
    const fix =
      options.registry === DEFAULT_REGISTRY_DIR
        ? 'run from the project root or pass --registry <dir>'
        : isAbsolute(options.registry)
          ? 'check the path'
          : 'it is read relative to the working directory: check the path, or give it absolute';
    throw new Error(`--registry: ${missing}; ${fix}`);
  }
  return openFsRegistry(options.registry);
}

/**
 * Refuses a model directory whose model.onnx onnxruntime cannot score as its card describes (not a graph, other input
 * or output names, another width): registered, every worker and lint would refuse it. A card that does not parse is
 * left to the registry, which names each problem.
 */
async function refuseUnscorable(artifacts: ModelArtifacts, dir: string): Promise<void> {
  const card = parseModelCard(new TextDecoder().decode(artifacts.card), 'card.json');
  if (!card.ok) return;
  try {
    await checkScorable(artifacts.model, card.card);
  } catch (error) {
    if (!(error instanceof OnnxModelError)) throw error;
    throw new Error(
      `refusing to register ${dir}: ${error.message}; register the model.onnx the trainer exported with this card`,
    );
  }
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Left-aligned columns; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function show(value: unknown): string {
  if (value === undefined) return '-';
  if (value === null) return 'null';
  // Six significant digits without trailing zeros: enough to see a metric move, short enough for a terminal.
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}

function headline(name: string, metrics: MetricSet | null | undefined): string {
  if (!metrics) return `${name}: not evaluated`;
  return (
    `${name}: ${metrics.rows} rows, fraud rate ${show(metrics.fraudRate)}, AUC ${show(metrics.aucRoc)}, ` +
    `AP ${show(metrics.averagePrecision)}, card precision@100/day ${show(metrics.cardPrecisionAt100.mean)}, ` +
    `Brier ${show(metrics.brier)}`
  );
}

function summary(shown: ShownVersion): string[] {
  const { card, entry } = shown;
  return [
    `${card.name}@${card.version}${shown.isChampion ? ' (champion)' : ''}`,
    ...cardCaveats(card).map((caveat) => `  caution          ${caveat}`),
    `  location         ${shown.location}`,
    `  registered       ${entry.registeredAt}`,
    `  created          ${card.createdAt} by ${card.owner}`,
    `  model sha256     ${entry.modelSha256}`,
    `  card sha256      ${entry.cardSha256}`,
    `  feature schema   ${card.featureSchemaVersion} (${card.input.features.length} features)`,
    `  data             ${card.dataset.rows} rows, ${card.dataset.eventTimeFrom} to ${card.dataset.eventTimeTo}`,
    `  decision         alert at score >= ${card.decision.threshold} (expected alert rate ${card.decision.expectedAlertRate})`,
    `  rollback target  ${card.rollbackTarget ?? 'none'}`,
    `  code commit      ${card.training.codeCommit}`,
    `  ${headline('test', card.metrics.test)}`,
    `  ${headline('reference', card.metrics.reference)}`,
  ];
}

/**
 * `show` and `diff` print the files as they are; when they are not the registered bytes (or the version fails
 * verification otherwise), they must not pass for the registered model. One line per problem, then what to do.
 */
function warnUnverified(report: VerifyReport, registry: string): void {
  for (const problem of report.problems) process.stderr.write(`fraudscore: warning: ${problem}\n`);
  process.stderr.write(
    `fraudscore: warning: ${report.ref} fails verification: do not take what is shown for the registered model; ` +
      "restore the version's files from a backup of the registry and check them with " +
      `\`fraudscore models verify ${report.ref} --registry ${registry}\`\n`,
  );
  process.exitCode = 1;
}

/**
 * A diff cell, cut to the width above which the diff summarises arrays: a long string (a method's description) would
 * otherwise widen every row of the table to its length.
 */
function diffCell(value: DiffValue | undefined): string {
  const text = value !== null && typeof value === 'object' ? describeSummary(value) : show(value);
  return text.length > LONGEST_SHOWN_VALUE ? `${text.slice(0, LONGEST_SHOWN_VALUE - 1)}…` : text;
}

function diffLines(rows: readonly DiffRow[], a: string, b: string, all: boolean): string[] {
  const shown = rows.filter((row) => all || row.changed);
  if (shown.length === 0) return ['  (no differences)'];
  return table([
    ['field', a, b, 'change'],
    ...shown.map((row) => [
      row.field,
      diffCell(row.a),
      diffCell(row.b),
      row.delta !== undefined && row.delta !== 0
        ? `${row.delta > 0 ? '+' : ''}${show(Number.isInteger(row.delta) ? row.delta : Number(row.delta.toPrecision(3)))}`
        : row.changed
          ? '*'
          : '',
    ]),
  ]).map((line) => `  ${line}`);
}

export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description(
      'The model registry: immutable versions (model.onnx + card.json + card.md, verified by SHA-256) per model name, ' +
        'with a champion and rollback targets.',
    );

  models
    .command('register')
    .description(
      'Copy a trained model (the --out directory of `python -m fraudtrain.train`) into the registry under the ' +
        "card's name and version. Checks model.onnx against the card's sha256, and that onnxruntime scores a trial " +
        'batch with it as the card describes; refuses to change an existing ' +
        'version (registering identical bytes again is a no-op, once the stored files verify) or to reuse a deleted ' +
        'one, and refuses a rollback target that is not registered or was trained on another feature schema.',
    )
    .requiredOption('--dir <dir>', 'directory holding model.onnx, card.json and card.md')
    .option(
      '--registry <dir>',
      `${REGISTRY_HELP}; a new registry is started only at a directory given explicitly`,
      DEFAULT_REGISTRY_DIR,
    )
    .option('--champion', 'also make this version the champion', false)
    .action(async (options: RegistryOption & { dir: string; champion: boolean }, command: Command) => {
      const create = command.getOptionValueSource('registry') !== 'default';
      const registry = open(options, { create });
      const artifacts = await readModelDir(options.dir);
      await refuseUnscorable(artifacts, options.dir);
      const result = await registry.register(artifacts, { champion: options.champion });
      out(
        `${result.name}@${result.version}: ${result.status === 'registered' ? 'registered' : 'already registered (identical)'}` +
          ` model sha256 ${result.entry.modelSha256}${result.champion ? ', champion' : ''}`,
      );
    });

  models
    .command('list')
    .description('List models and their versions; * marks the champion.')
    .option('--registry <dir>', REGISTRY_HELP, DEFAULT_REGISTRY_DIR)
    .option('--json', 'print JSON', false)
    .action(async (options: RegistryOption & { json: boolean }) => {
      const summaries = await open(options).list();
      if (options.json) return out(JSON.stringify(summaries, null, 2));
      if (summaries.length === 0) return out(`no models in ${options.registry}`);
      for (const model of summaries) {
        out(`${model.name} (champion: ${model.champion ?? 'none'})`);
        const rows = model.versions.map((v) => [
          v.version === model.champion ? '*' : ' ',
          v.version,
          v.registeredAt,
          v.modelSha256.slice(0, 12),
          v.featureSchemaVersion,
          v.rollbackTarget ?? '-',
        ]);
        for (const line of table([
          [' ', 'version', 'registered', 'model sha256', 'feature schema', 'rollback'],
          ...rows,
        ])) {
          out(`  ${line}`);
        }
      }
    });

  models
    .command('show')
    .description(
      'Show one version: provenance, decision threshold and headline metrics (name@champion works), with a ' +
        'caution line when the card says its training code was dirty or the model is below its baselines. The ' +
        'files are verified as by `models verify`: when they are not the registered ones, a warning per problem ' +
        'goes to stderr and the exit status is 1.',
    )
    .argument('<ref>', 'name@version, e.g. card-fraud@3 or card-fraud@champion')
    .option('--registry <dir>', REGISTRY_HELP, DEFAULT_REGISTRY_DIR)
    // Each prints a whole file instead of the summary; asked for both, no answer would be the one meant.
    .addOption(new Option('--json', 'print card.json (not with --markdown)').default(false).conflicts('markdown'))
    .addOption(new Option('--markdown', 'print card.md, the full model card (not with --json)').default(false))
    .action(async (text: string, options: RegistryOption & { json: boolean; markdown: boolean }) => {
      const { name, version } = ref(text);
      const registry = open(options);
      const shown = await registry.show(name, version);
      // The version show resolved, not the selector: a promotion in between must not verify another version.
      const [report] = await registry.verify({ name, version: shown.entry.version });
      if (options.json) out(JSON.stringify(shown.card, null, 2));
      else if (options.markdown) process.stdout.write(shown.cardMd);
      else for (const line of summary(shown)) out(line);
      if (report && !report.ok) warnUnverified(report, options.registry);
    });

  models
    .command('verify')
    .description(
      'Recompute every sha256 (model.onnx, card.json, card.md) against the card and registry.json, and check that ' +
        'rollback targets are registered, on the same feature schema. All models and versions by default. Exits 1 ' +
        'if anything fails.',
    )
    .argument('[ref]', 'name or name@version to verify')
    .option('--registry <dir>', REGISTRY_HELP, DEFAULT_REGISTRY_DIR)
    .action(async (text: string | undefined, options: RegistryOption) => {
      const target = text === undefined ? undefined : text.includes('@') ? ref(text) : { name: text };
      const reports = await open(options).verify(target);
      for (const report of reports) {
        if (report.ok) out(`ok    ${report.ref}`);
        else process.stderr.write(`FAIL  ${report.ref}\n${report.problems.map((p) => `  - ${p}\n`).join('')}`);
      }
      if (reports.length === 0) out(`no models in ${options.registry}`);
      if (reports.some((report) => !report.ok)) process.exitCode = 1;
    });

  models
    .command('diff')
    .description(
      'Two versions side by side: changed card fields, then metrics with their change. A long array (the score ' +
        "sample, the selection leaderboard), a section only one version has and the drift monitor's reference " +
        'distributions are summarised (size and sha256: a differing hash is a differing value); long text is cut. ' +
        'Both versions are verified as by `models show`: a warning per problem, exit status 1.',
    )
    .argument('<a>', 'name@version')
    .argument('<b>', 'name@version')
    .option('--registry <dir>', REGISTRY_HELP, DEFAULT_REGISTRY_DIR)
    .option('--all', 'show unchanged fields too', false)
    .option(
      '--json',
      'print the rows as JSON, summarised as in the table (text whole); `models show --json` prints a whole card',
      false,
    )
    .action(async (a: string, b: string, options: RegistryOption & { all: boolean; json: boolean }) => {
      const registry = open(options);
      const result = await registry.diff(ref(a), ref(b));
      // The versions diff resolved, as show verifies them: a card edited after registration must not pass for one.
      for (const side of [result.a, result.b]) {
        const [report] = await registry.verify({ name: side.card.name, version: side.entry.version });
        if (report && !report.ok) warnUnverified(report, options.registry);
      }
      if (options.json) return out(JSON.stringify(result.diff, null, 2));
      const left = `${result.a.card.name}@${result.a.card.version}`;
      const right = `${result.b.card.name}@${result.b.card.version}`;
      out('card');
      for (const line of diffLines(result.diff.fields, left, right, options.all)) out(line);
      out('metrics');
      for (const line of diffLines(result.diff.metrics, left, right, options.all)) out(line);
    });

  models
    .command('promote')
    .description(
      'Make a version the champion: what a topology with `model.version: champion` serves (its running workers ' +
        'follow within seconds, unless its control topic names a champion). The version is verified (every ' +
        'sha256, rollback target present, on the same feature schema) before the switch.',
    )
    .argument('<ref>', 'name@version')
    .option('--registry <dir>', REGISTRY_HELP, DEFAULT_REGISTRY_DIR)
    .option(
      '-t, --topology <file>',
      "say what the topology's workers will serve (read from its control topic); its model.registry is the " +
        'registry promoted in (a --registry naming another one is refused)',
    )
    .action(async (text: string, options: RegistryOption & { topology?: string }, command: Command) => {
      const { name, version: selector } = ref(text);
      const explicitRegistry = command.getOptionValueSource('registry') !== 'default';
      const effect = options.topology === undefined ? undefined : await promotionEffectOf(options, explicitRegistry);
      const registry = effect?.registry ?? options.registry;
      const { version, previous } = await open({ registry }).setChampion(name, selector);
      out(`${name}@${version} is champion (was ${previous ?? 'none'})`);
      if (effect) out(effect.describe({ name, version }));
      else {
        out(
          "workers follow it only where the topology's model.version is champion, no champion is named on its control " +
            'topic and the kill switch is off: add -t <topology file> to see what its workers will serve',
        );
      }
    });

  models
    .command('delete')
    .description(
      'Delete a version. Refused for the champion and for any version that a registered card names as its ' +
        'rollback target. The version number stays taken: registering it again is refused.',
    )
    .argument('<ref>', 'name@version')
    .option('--registry <dir>', REGISTRY_HELP, DEFAULT_REGISTRY_DIR)
    .action(async (text: string, options: RegistryOption) => {
      const { name, version } = ref(text);
      await open(options).delete(name, version);
      out(`${name}@${version} deleted`);
    });
}

/**
 * For `models promote -t`: the registry the topology's workers read, and (from its control topic, read before the
 * change) what the promotion will change for them. A --registry other than the topology's is refused before anything
 * changes: promoting there would change nothing the workers serve.
 */
async function promotionEffectOf(
  options: RegistryOption & { topology?: string },
  explicitRegistry: boolean,
): Promise<{ registry: string; describe: (promoted: ModelRef) => string }> {
  const { topology, ops } = openControl(options.topology!);
  const registry = topology.model.registry;
  if (explicitRegistry && resolve(options.registry) !== resolve(registry)) {
    throw new Error(
      `--registry ${options.registry} is not the registry the workers of ${topology.name} read (model.registry: ` +
        `${registry}); drop --registry to promote in theirs`,
    );
  }
  const view = await connecting('kafka', topology, () => ops.view());
  return {
    registry,
    describe: (promoted) =>
      promotionEffect(promoted, {
        topologyName: topology.name,
        topologyFile: options.topology!,
        model: topology.model,
        view,
      }),
  };
}
