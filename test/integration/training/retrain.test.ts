import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../../src/training/retrain.js';

/**
 * The whole loop on a small simulation, through the same commands as training/make-demo-model.sh (simulate ->
 * backfill -> train -> register, into a temporary registry), then `fraudscore retrain` on the registered version:
 * same raw inputs, dataset, model bytes and metrics. The training data is a file source (its path and sha256 in the
 * card); the reference set is a simulation spec, so both kinds of raw source are replayed. The search size and the
 * reason for accepting a model below its baselines (a small simulation is too noisy to be sure of beating them) are
 * trainer arguments the retrain must pass again.
 */
const run = promisify(execFile);
const root = repoRoot();
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const python = join(root, 'training', '.venv', 'bin', 'python');
const topology = 'topologies/card-payments.yaml';
const START = '2026-01-05T00:00:00Z';
const ALLOW_REASON = 'small simulation for the retrain loop test';

function simSpec(seed: number, days: number): Record<string, unknown> {
  return {
    kind: 'simulate',
    seed,
    customers: 300,
    terminals: 150,
    days,
    start: START,
    labelDelayMinHours: 1,
    labelDelayMaxDays: 7,
    genuineLabelRate: 1,
    format: 'jsonl',
  };
}

function simulateArgs(outDir: string, spec: Record<string, unknown>): string[] {
  return [
    'simulate',
    '--out-dir',
    outDir,
    ...['seed', 'customers', 'terminals', 'days'].flatMap((k) => [`--${k}`, String(spec[k])]),
    '--start',
    START,
    '--label-delay-min-hours',
    '1',
    '--label-delay-max-days',
    '7',
    '--genuine-label-rate',
    '1',
    '--format',
    'jsonl',
  ];
}

async function fraudscore(args: readonly string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root, maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : -1 };
  }
}

async function ok(args: readonly string[]): Promise<string> {
  const result = await fraudscore(args);
  assert.equal(result.code, 0, `fraudscore ${args.join(' ')} failed:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/** The comparison table's rows by check name: [recorded, retrained, result]. */
function rowsOf(stdout: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^ {2}(\S.*?)\s{2,}.*\s{2}(same|DIFFERENT|differs \(info\))$/.exec(line);
    if (match) rows.set(match[1]!, match[2]!);
  }
  return rows;
}

describe('fraudscore retrain (simulate -> backfill -> train -> register, then rerun from raw data)', () => {
  let dir: string;
  let registry: string;
  let card: {
    modelSha256: string;
    dataset: { tableSha256: string; rawSource: { kind: string; events: { path: string } } };
    metrics: Record<string, unknown>;
  };

  before(async () => {
    await run('bash', [join(root, 'training', 'setup.sh')], { cwd: root });
    dir = mkdtempSync(join(tmpdir(), 'fraudscore-retrain-'));
    registry = join(dir, 'registry');
    const train = simSpec(7, 21);
    const reference = simSpec(1007, 21);
    await ok(simulateArgs(join(dir, 'train-raw'), train));
    await ok(simulateArgs(join(dir, 'reference-raw'), reference));
    const events = join(dir, 'train-raw', 'events.jsonl');
    const labels = join(dir, 'train-raw', 'labels.jsonl');
    // The training table in the default format (Parquet), the reference table in CSV: a retrain must write each in
    // the format its card records, or the dataset hashes cannot match; and under the name its manifest records (not
    // the retrain's own train.parquet / reference.csv), or the manifest's hash cannot.
    await ok([
      'backfill',
      '-t',
      topology,
      '--events',
      events,
      '--labels',
      labels,
      '--out',
      join(dir, 'training-table.parquet'),
    ]);
    await ok([
      'backfill',
      '-t',
      topology,
      '--events',
      join(dir, 'reference-raw', 'events.jsonl'),
      '--labels',
      join(dir, 'reference-raw', 'labels.jsonl'),
      '--from',
      '2026-01-19',
      '--out',
      join(dir, 'reference-set.csv'),
      '--table-format',
      'csv',
    ]);
    const model = join(dir, 'model');
    // The training data is a file source: absolute paths, hashed by the trainer against the backfill's manifest.
    const fileSource = { kind: 'files', events, labels: [labels] };
    await run(
      python,
      [
        '-m',
        'fraudtrain.train',
        '--table',
        join(dir, 'training-table.parquet'),
        '--out',
        model,
        '--name',
        'card-fraud-small',
        '--version',
        '1',
        '--seed',
        '42',
        '--reference',
        join(dir, 'reference-set.csv'),
        '--test-days',
        '3',
        '--owner',
        'ci',
        '--threshold-alert-rate',
        '0.01',
        '--created-at',
        '2026-11-25T00:00:00Z',
        '--topology',
        topology,
        '--raw-source',
        JSON.stringify(fileSource),
        '--reference-raw-source',
        JSON.stringify(reference),
        '--search-candidates',
        '3',
        '--allow-below-baseline',
        ALLOW_REASON,
      ],
      { cwd: join(root, 'training') },
    );
    await ok(['models', 'register', '--dir', model, '--registry', registry, '--champion']);
    card = JSON.parse(readFileSync(join(registry, 'card-fraud-small', '1', 'card.json'), 'utf8')) as typeof card;
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records the raw source, backfill parameters and trainer arguments in the card', () => {
    const raw = card.dataset.rawSource;
    assert.equal(raw.kind, 'files');
    assert.equal(raw.events.path, join(dir, 'train-raw', 'events.jsonl'));
    const full = card as unknown as {
      dataset: {
        backfill: { topology: string; labelDelayMs: number; fromMs: null; tableFormat?: string; tableFile?: string };
      };
      training: {
        args: {
          testDays: number;
          reference: {
            rawSource: { seed: number };
            backfill: { fromMs: number; tableFormat?: string; tableFile?: string };
          };
          searchCandidates: number;
          allowBelowBaseline: string;
        };
      };
    };
    assert.equal(full.dataset.backfill.topology, topology);
    assert.equal(full.dataset.backfill.labelDelayMs, 7 * 86_400_000);
    assert.equal(full.dataset.backfill.fromMs, null);
    assert.equal(full.dataset.backfill.tableFormat, 'parquet');
    assert.equal(full.dataset.backfill.tableFile, 'training-table.parquet');
    assert.equal(full.training.args.reference.backfill.tableFile, 'reference-set.csv');
    // A CSV table's manifest names no format, and the card records none (as the cards of CSV-trained models).
    assert.equal('tableFormat' in full.training.args.reference.backfill, false);
    assert.equal(full.training.args.testDays, 3);
    assert.equal(full.training.args.reference.rawSource.seed, 1007);
    assert.equal(full.training.args.reference.backfill.fromMs, Date.parse('2026-01-19T00:00:00Z'));
    assert.equal(full.training.args.searchCandidates, 3);
    assert.equal(full.training.args.allowBelowBaseline, ALLOW_REASON);
  });

  it('rebuilds the same dataset, model bytes and metrics, and says so', async () => {
    const work = join(dir, 'retrain-work');
    const stdout = await ok(['retrain', 'card-fraud-small@1', '--registry', registry, '--work', work]);
    assert.match(stdout, /IDENTICAL/);
    assert.match(stdout, /wall time \d+(\.\d+)? s/);
    const rows = rowsOf(stdout);
    for (const check of [
      'train raw events sha256',
      'reference raw events sha256',
      'dataset (training table) sha256',
      'backfill manifest sha256',
      'reference table sha256',
      'model.onnx sha256 (registered bytes)',
      'all metrics (every field)',
      'rest of card.json',
    ]) {
      assert.equal(rows.get(check), 'same', `${check}: ${rows.get(check)}\n${stdout}`);
    }
    // The comparison is real: the retrained artifacts sit in the work dir with the registered hashes.
    const retrained = JSON.parse(readFileSync(join(work, 'model', 'card.json'), 'utf8')) as typeof card;
    assert.equal(retrained.modelSha256, card.modelSha256);
    assert.equal(retrained.dataset.tableSha256, card.dataset.tableSha256);
    assert.deepEqual(retrained.metrics, card.metrics);
    // Model selection and baselines are rebuilt too: same folds, same choice, same baseline scores and intervals.
    const extra = (c: unknown) => c as { selection: unknown; baselines: unknown };
    assert.deepEqual(extra(retrained).selection, extra(card).selection);
    assert.deepEqual(extra(retrained).baselines, extra(card).baselines);
  });

  it('refuses to retrain from a raw input file that changed since training', async () => {
    const events = join(dir, 'train-raw', 'events.jsonl');
    appendFileSync(events, readFileSync(events, 'utf8').split('\n')[0]! + '\n');
    const result = await fraudscore([
      'retrain',
      'card-fraud-small@1',
      '--registry',
      registry,
      '--work',
      join(dir, 'w2'),
    ]);
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /training events file .*events\.jsonl has changed: sha256 [0-9a-f]{64}, the card records/,
    );
    assert.match(result.stderr, /Refusing to retrain/);
  });
});
