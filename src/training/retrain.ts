import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openFsRegistry } from '../adapters/model-registry/index.js';
import { runBackfill, TableFormat, type BackfillManifest } from '../backfill/index.js';
import { labelDelayMsOf, loadTopology } from '../config/index.js';
import { parseModelCard, type ModelCard } from '../core/models/index.js';
import type { BackfillParams, RawSource } from '../core/models/card.js';
import { DAY_MS, explainEmptyRun, HOUR_MS, type SimulationOptions } from '../core/simulate/index.js';
import { simulateToFiles } from '../simulate/index.js';
import { RetrainError } from './errors.js';
import { checkWorkDir, claimWorkDir } from './work-dir.js';

export { RetrainError } from './errors.js';
export { DEFAULT_WORK_DIR, WORK_MARKER } from './work-dir.js';

/**
 * `fraudscore retrain`: rebuild a registered model from the raw data its card names (simulate or verified files →
 * backfill → train, with the recorded parameters) and compare: dataset, model bytes, metrics.
 */

export interface RetrainOptions {
  readonly registry: string;
  readonly name: string;
  readonly version: string;
  /**
   * Scratch directory for raw data, tables and the retrained model, emptied first: it must be new, empty, or one
   * retrain made (marked with WORK_MARKER); see work-dir.ts for what is refused.
   */
  readonly work: string;
  /** Python with fraudtrain's dependencies; default training/.venv/bin/python. */
  readonly python?: string;
  /** Progress lines (phase starts); default none. */
  readonly log?: (line: string) => void;
  /**
   * Aborting stops the run where it is, the trainer included (SIGTERM: it would otherwise train on, orphaned, for
   * minutes); the run rejects with the signal's reason. The work directory keeps what was made so far.
   */
  readonly signal?: AbortSignal;
}

export interface ComparisonRow {
  readonly check: string;
  readonly recorded: string;
  readonly retrained: string;
  readonly same: boolean;
  /** False for provenance shown for information (code commit, lockfile): a difference there fails nothing. */
  readonly counts: boolean;
}

export interface RetrainResult {
  readonly ref: string;
  readonly rows: readonly ComparisonRow[];
  readonly identical: boolean;
  readonly elapsedMs: number;
  readonly phasesMs: Readonly<Record<string, number>>;
  readonly modelDir: string;
}

/** The repository root: the directory above dist/ (compiled) or src/ that holds training/fraudtrain. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'training', 'fraudtrain'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new RetrainError('cannot find the repository root (a directory holding training/fraudtrain)');
    dir = parent;
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface RawFiles {
  readonly events: string;
  readonly labels: readonly string[];
}

/** Why a simulation generated no transaction, in a few words (`fraudscore simulate` names its flags instead). */
function emptyRunCause(options: SimulationOptions): string {
  const cause = explainEmptyRun(options);
  return cause.kind === 'no-terminal-in-reach'
    ? `none of its ${cause.customers} customers has one of its ${cause.terminals} terminals within ${cause.radius} ` +
        'on the map'
    : `${cause.customersInReach} of its ${cause.customers} customers have a terminal in reach and made no payment ` +
        `in ${cause.days} days`;
}

/** The raw files of a source: simulated again into `dir`, or the recorded files after checking their sha256. */
async function materialize(
  source: RawSource,
  dir: string,
  root: string,
  what: string,
  signal: AbortSignal | undefined,
): Promise<RawFiles> {
  if (source.kind === 'simulate') {
    const result = await simulateToFiles({
      ...(signal ? { signal } : {}),
      outDir: dir,
      format: source.format,
      simulation: {
        seed: source.seed,
        customers: source.customers,
        terminals: source.terminals,
        days: source.days,
        startMs: Date.parse(/T/.test(source.start) ? source.start : `${source.start}T00:00:00Z`),
        labelDelayMinMs: Math.round(source.labelDelayMinHours * HOUR_MS),
        labelDelayMaxMs: Math.round(source.labelDelayMaxDays * DAY_MS),
        genuineLabelRate: source.genuineLabelRate,
        ...(source.drift !== undefined ? { driftScenario: source.drift } : {}),
        ...(source.driftFromDay !== undefined ? { driftFromDay: source.driftFromDay } : {}),
        ...(source.driftAmountFactor !== undefined ? { driftAmountFactor: source.driftAmountFactor } : {}),
      },
    });
    if (result.summary.transactions === 0) {
      // simulateToFiles writes nothing then; the backfill would fail next, naming an --events file nobody gave.
      throw new RetrainError(
        `${what}: the card's raw source (dataset.rawSource) ${JSON.stringify(source)} produced no events when ` +
          `simulated again (${emptyRunCause(result.options)}), so it cannot be the data the model was trained on ` +
          'and retrain has nothing to reproduce: train the model again with a --raw-source naming the data it ' +
          'learns from, and register it under a new version',
      );
    }
    return { events: result.transactionsFile, labels: [result.labelsFile] };
  }
  const check = async (file: { path: string; sha256: string }, role: string): Promise<string> => {
    const path = isAbsolute(file.path) ? file.path : resolve(root, file.path);
    if (!existsSync(path))
      throw new RetrainError(`${what} ${role} ${path} does not exist; the card names it as raw input`);
    const actual = await sha256File(path);
    if (actual !== file.sha256) {
      throw new RetrainError(
        `${what} ${role} ${path} has changed: sha256 ${actual}, the card records ${file.sha256}. ` +
          'Refusing to retrain from data other than what the model was trained on.',
      );
    }
    return path;
  };
  return {
    events: await check(source.events, 'events file'),
    labels: await Promise.all(source.labels.map((file, i) => check(file, `labels file ${i + 1}`))),
  };
}

async function backfill(
  files: RawFiles,
  params: BackfillParams,
  out: string,
  root: string,
  what: string,
  signal: AbortSignal | undefined,
): Promise<BackfillManifest> {
  let labelDelayMs = params.labelDelayMs;
  if (labelDelayMs === null) {
    if (params.topology === null)
      throw new RetrainError(`${what}: the card records neither a label delay nor a topology`);
    labelDelayMs = labelDelayMsOf(loadTopology(resolve(root, params.topology)));
  }
  const result = await runBackfill({
    events: files.events,
    labels: [...files.labels],
    out,
    // The format the card's table SHA-256 was taken over (a card that names none was trained on CSV).
    tableFormat: params.tableFormat ?? TableFormat.Csv,
    labelDelayMs,
    ...(params.latenessMarginMs !== null ? { latenessMarginMs: params.latenessMarginMs } : {}),
    ...(params.fromMs !== null ? { fromMs: params.fromMs } : {}),
    ...(params.toMs !== null ? { toMs: params.toMs } : {}),
    ...(params.labelAsOfMs !== null ? { labelAsOfMs: params.labelAsOfMs } : {}),
    progress: false,
    ...(signal ? { signal } : {}),
    stdout: null,
    // Its warnings name flags of `fraudscore backfill` the user of retrain did not type; the card's inputs are checked
    // against their recorded hashes instead.
    stderr: null,
  });
  return result.manifest;
}

/** The last lines of what the trainer printed on stderr, for a message. */
function tail(stderr: string): string {
  const text = stderr.trim();
  return text.length === 0
    ? 'it printed nothing on stderr'
    : `its stderr ends:\n${text.split('\n').slice(-15).join('\n')}`;
}

/**
 * Runs the trainer (`<python> -m fraudtrain.train ... --out <modelDir>` in `cwd`) and checks that it wrote the model
 * and its card: any program that exits 0 (a --python that is not a Python at all, say) would otherwise pass for a
 * trainer, and the retrain would end in a bare ENOENT on card.json.
 */
function runTrainer(
  python: string,
  args: readonly string[],
  cwd: string,
  modelDir: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const ran = `${[python, ...args.slice(0, 2)].join(' ')} ... --out ${modelDir} (in ${cwd})`;
  const fix =
    "give --python the path of a Python with the trainer's dependencies (`bash training/setup.sh` makes " +
    'training/.venv/bin/python, the default)';
  return new Promise((done, fail) => {
    if (signal?.aborted) {
      fail(signal.reason);
      return;
    }
    const child = spawn(python, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = (): void => void child.kill('SIGTERM');
    signal?.addEventListener('abort', stop, { once: true });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) =>
      fail(new RetrainError(`--python ${python}: cannot run it (${error.message}); ${fix}`)),
    );
    child.on('close', (code) => {
      signal?.removeEventListener('abort', stop);
      if (signal?.aborted) {
        fail(signal.reason);
        return;
      }
      if (code !== 0) {
        fail(new RetrainError(`the trainer exited with ${code}; it was run as ${ran}; ${tail(stderr)}`));
        return;
      }
      const missing = ['card.json', 'model.onnx'].filter((file) => !existsSync(join(modelDir, file)));
      if (missing.length === 0) {
        done();
        return;
      }
      const what = missing.includes('card.json') ? 'no model card' : 'a model card but no model';
      fail(
        new RetrainError(
          `--python ${python}: the trainer exited 0 but wrote ${what} (${missing.map((f) => join(modelDir, f)).join(', ')} ` +
            `missing): ${python} is likely not a Python that runs fraudtrain; ${fix}. It was run as ${ran}; ` +
            tail(stderr),
        ),
      );
    });
  });
}

/** What the card must record for a retrain; names the first missing piece. */
function replayPlan(card: ModelCard, ref: string) {
  const missing = (what: string) =>
    new RetrainError(
      `${ref} cannot be retrained: its card does not record ${what}. The trainer records it when run with ` +
        '--raw-source and --topology (and --reference-raw-source with a --reference); train it again with them, ' +
        'see training/README.md, "Retraining a registered model"',
    );
  const rawSource = card.dataset.rawSource ?? null;
  const params = card.dataset.backfill ?? null;
  const args = card.training.args;
  if (!rawSource) throw missing('dataset.rawSource');
  if (!params) throw missing('dataset.backfill');
  if (!args) throw missing('training.args');
  const reference = args.reference;
  if (card.metrics.reference && (!reference?.rawSource || !reference.backfill)) {
    throw missing('how its reference set was built (training.args.reference.rawSource and .backfill)');
  }
  return { rawSource, params, args, reference: reference?.rawSource && reference.backfill ? reference : null };
}

function shaOf(source: unknown, path: readonly (string | number)[]): string {
  let value: unknown = source;
  for (const key of path) value = (value as Record<string | number, unknown> | null | undefined)?.[key];
  return typeof value === 'string' ? value : '-';
}

/** Stable JSON (sorted keys) for deep comparison. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Dotted paths where two JSON values differ (at most `limit`). */
function differingPaths(a: unknown, b: unknown, prefix = '', limit = 8, out: string[] = []): string[] {
  if (out.length >= limit) return out;
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      differingPaths(a[key], b[key], prefix ? `${prefix}.${key}` : key, limit, out);
    }
  } else if (canonical(a) !== canonical(b)) {
    out.push(prefix || '(root)');
  }
  return out;
}

/** Provenance that names the code and environment, not the result: shown, never compared. */
const PROVENANCE = ['codeCommit', 'codeDirty', 'libraries', 'lockfileSha256', 'lockMismatches'] as const;

function withoutProvenance(card: ModelCard): unknown {
  const training: Record<string, unknown> = { ...card.training };
  for (const key of PROVENANCE) delete training[key];
  return { ...card, training };
}

function environmentWords(mismatches: Record<string, string> | undefined): string {
  if (mismatches === undefined) return 'not recorded';
  const names = Object.keys(mismatches).sort();
  return names.length === 0 ? 'as locked' : `differs: ${names.join(', ')}`;
}

function compare(
  old: ModelCard,
  fresh: ModelCard,
  registeredModelSha: string,
  retrainedModelSha: string,
  manifests: { train: BackfillManifest; reference: BackfillManifest | null },
  oldReferenceSource: unknown,
): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const row = (check: string, recorded: unknown, retrained: unknown, counts = true): void => {
    const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '-' : JSON.stringify(v));
    rows.push({
      check,
      recorded: text(recorded),
      retrained: text(retrained),
      same: canonical(recorded) === canonical(retrained),
      counts,
    });
  };
  const rawRows = (label: string, recorded: unknown, manifest: BackfillManifest) => {
    row(`${label} raw events sha256`, shaOf(recorded, ['events', 'sha256']), shaOf(manifest.inputs.events, ['sha256']));
    manifest.inputs.labels.forEach((labels, i) =>
      row(
        `${label} raw labels${manifest.inputs.labels.length > 1 ? ` ${i + 1}` : ''} sha256`,
        shaOf(recorded, ['labels', i, 'sha256']),
        shaOf(labels, ['sha256']),
      ),
    );
  };
  rawRows('train', old.dataset.source, manifests.train);
  if (manifests.reference) rawRows('reference', oldReferenceSource, manifests.reference);
  row('dataset (training table) sha256', old.dataset.tableSha256, fresh.dataset.tableSha256);
  row('backfill manifest sha256', old.dataset.manifestSha256, fresh.dataset.manifestSha256);
  row('dataset rows', old.dataset.rows, fresh.dataset.rows);
  if (old.metrics.reference || fresh.metrics.reference) {
    row('reference table sha256', old.metrics.reference?.tableSha256, fresh.metrics.reference?.tableSha256);
  }
  row('model.onnx sha256 (registered bytes)', registeredModelSha, retrainedModelSha);
  row('card modelSha256', old.modelSha256, fresh.modelSha256);
  row('best iteration', old.training.bestIteration, fresh.training.bestIteration);
  row('decision threshold', old.decision.threshold, fresh.decision.threshold);
  for (const set of ['test', 'testInTime', 'reference'] as const) {
    const a = old.metrics[set];
    const b = fresh.metrics[set];
    if (!a && !b) continue;
    row(`${set} AUC`, a?.aucRoc, b?.aucRoc);
    row(`${set} average precision`, a?.averagePrecision, b?.averagePrecision);
    row(`${set} card precision@100/day`, a?.cardPrecisionAt100.mean, b?.cardPrecisionAt100.mean);
    row(`${set} Brier`, a?.brier, b?.brier);
  }
  const metricDiffs = differingPaths(old.metrics, fresh.metrics);
  row(
    'all metrics (every field)',
    'recorded',
    metricDiffs.length === 0 ? 'recorded' : `differs: ${metricDiffs.join(', ')}`,
  );
  // A card written before the trainer computed drift references lacks `monitoring`: new information, not a change.
  const freshComparable = old.monitoring ? fresh : { ...fresh, monitoring: undefined };
  const cardDiffs = differingPaths(withoutProvenance(old), withoutProvenance(freshComparable));
  row('rest of card.json', 'recorded', cardDiffs.length === 0 ? 'recorded' : `differs: ${cardDiffs.join(', ')}`);
  row('code commit', old.training.codeCommit, fresh.training.codeCommit, false);
  row('requirements.lock sha256', old.training.lockfileSha256, fresh.training.lockfileSha256, false);
  row(
    'installed packages vs requirements.lock',
    environmentWords(old.training.lockMismatches),
    environmentWords(fresh.training.lockMismatches),
    false,
  );
  return rows;
}

export async function retrain(options: RetrainOptions): Promise<RetrainResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  // A --work retrain may not empty is refused before anything else is done; it is emptied only once the rest is
  // known to be in place.
  await checkWorkDir(options.work);
  const root = repoRoot();
  const ref = `${options.name}@${options.version}`;
  const registry = openFsRegistry(options.registry);
  // The comparison is against the registered version: its card also feeds the trainer (owner, SLO, rollback target,
  // creation time), so a card edited after registration would come back in the retrained card and compare equal.
  const [report] = await registry.verify({ name: options.name, version: options.version });
  if (report && !report.ok) {
    throw new RetrainError(
      `${report.ref} fails verification, so retrain has no registered version to reproduce: ` +
        `${report.problems.join('; ')}. Restore its registered files (\`fraudscore models verify ${report.ref}\` ` +
        'says what is wrong and passes once they are back), then retrain',
    );
  }
  const shown = await registry.show(options.name, options.version);
  const card = shown.card;
  const plan = replayPlan(card, `${card.name}@${card.version}`);
  const registeredModelSha = await sha256File(join(shown.location, 'model.onnx'));

  const python = options.python ?? join(root, 'training', '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new RetrainError(
      options.python === undefined
        ? `${python} not found: run \`bash training/setup.sh\` first, or name a Python with the trainer's ` +
            'dependencies with --python'
        : `--python ${python}: not found; give the path of a Python with the trainer's dependencies ` +
            '(`bash training/setup.sh` makes training/.venv/bin/python, the default)',
    );
  }

  const work = await claimWorkDir(options.work);
  const phasesMs: Record<string, number> = {};
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    log(`${name} ...`);
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      phasesMs[name] = (phasesMs[name] ?? 0) + (performance.now() - t0);
    }
  };

  const trainRaw = await phase('raw data', () =>
    materialize(plan.rawSource, join(work, 'train-raw'), root, 'training', options.signal),
  );
  const referenceRaw = plan.reference
    ? await phase('raw data', () =>
        materialize(plan.reference!.rawSource!, join(work, 'reference-raw'), root, 'reference', options.signal),
      )
    : null;
  // Named as the recorded manifests name them: the card records the training manifest's sha256.
  const trainTable = join(work, plan.params.tableFile ?? `train.${plan.params.tableFormat ?? TableFormat.Csv}`);
  const referenceBackfill = plan.reference?.backfill;
  const referenceTable = join(
    work,
    referenceBackfill?.tableFile ?? `reference.${referenceBackfill?.tableFormat ?? TableFormat.Csv}`,
  );
  const trainManifest = await phase('backfill', () =>
    backfill(trainRaw, plan.params, trainTable, root, 'training', options.signal),
  );
  const referenceManifest =
    plan.reference && referenceRaw
      ? await phase('backfill', () =>
          backfill(referenceRaw, plan.reference!.backfill!, referenceTable, root, 'reference', options.signal),
        )
      : null;

  const modelDir = join(work, 'model');
  const args = [
    '-m',
    'fraudtrain.train',
    '--table',
    trainTable,
    '--out',
    modelDir,
    '--name',
    card.name,
    '--version',
    card.version,
    '--seed',
    String(plan.args.seed),
    '--test-days',
    String(plan.args.testDays),
    '--owner',
    card.owner,
    '--threshold-alert-rate',
    String(plan.args.thresholdAlertRate),
    '--serving-slo',
    JSON.stringify(card.servingSlo),
    '--created-at',
    card.createdAt,
    '--raw-source',
    JSON.stringify(plan.rawSource),
    ...(plan.params.topology !== null ? ['--topology', plan.params.topology] : []),
    ...(card.rollbackTarget !== null ? ['--rollback-target', card.rollbackTarget] : []),
    ...(plan.reference
      ? ['--reference', referenceTable, '--reference-raw-source', JSON.stringify(plan.reference.rawSource)]
      : []),
    ...(plan.args.searchCandidates !== undefined ? ['--search-candidates', String(plan.args.searchCandidates)] : []),
    ...(plan.args.allowBelowBaseline ? ['--allow-below-baseline', plan.args.allowBelowBaseline] : []),
  ];
  await phase('train', () => runTrainer(python, args, join(root, 'training'), modelDir, options.signal));

  const parsed = parseModelCard(await readFile(join(modelDir, 'card.json'), 'utf8'), join(modelDir, 'card.json'));
  if (!parsed.ok) throw new RetrainError(`the retrained card is invalid:\n  ${parsed.problems.join('\n  ')}`);
  const retrainedModelSha = await sha256File(join(modelDir, 'model.onnx'));
  const rows = compare(
    card,
    parsed.card,
    registeredModelSha,
    retrainedModelSha,
    { train: trainManifest, reference: referenceManifest },
    plan.reference?.source ?? null,
  );
  return {
    ref,
    rows,
    identical: rows.every((r) => r.same || !r.counts),
    elapsedMs: performance.now() - started,
    phasesMs,
    modelDir,
  };
}
