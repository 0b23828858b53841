import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, parse } from 'node:path';
import { after, describe, it } from 'node:test';
import { RetrainError } from '../../../src/training/errors.js';
import {
  checkWorkDir,
  claimWorkDir,
  DEFAULT_WORK_DIR,
  WORK_MARKER,
  type WorkDirContext,
} from '../../../src/training/work-dir.js';

const root = mkdtempSync(join(tmpdir(), 'fraudscore-work-dir-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** A checkout-like current directory (with a file that must survive) and a home, both under the temporary root. */
function place(): { context: WorkDirContext; cwd: string; home: string } {
  const base = join(root, `case-${++counter}`);
  const home = join(base, 'home');
  const cwd = join(home, 'src', 'fraudscore');
  mkdirSync(join(cwd, '.git'), { recursive: true });
  writeFileSync(join(cwd, 'README.md'), 'mine\n');
  return { context: { cwd, home }, cwd, home };
}

async function refused(work: string, context: WorkDirContext, pattern: RegExp): Promise<void> {
  await assert.rejects(claimWorkDir(work, context), (error: unknown) => {
    assert.ok(error instanceof RetrainError, String(error));
    assert.match(error.message, new RegExp(`^--work ${work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    assert.match(error.message, pattern);
    assert.match(error.message, /choose an empty or new directory for --work/);
    return true;
  });
}

describe('retrain work directory', () => {
  it('refuses the current directory, its parents, the home directory and the filesystem root, touching nothing', async () => {
    const { context, cwd, home } = place();
    await refused('.', context, /is the current directory/);
    await refused(cwd, context, /is the current directory/);
    await refused('..', context, /contains the current directory/);
    await refused(home, context, /is your home directory/);
    await refused(parse(cwd).root, context, /is the filesystem root/);
    // A link to the checkout is the checkout.
    const link = join(root, `link-${counter}`);
    symlinkSync(cwd, link);
    await refused(link, context, /is the current directory/);
    // Even a marked current directory: a marker copied along with a directory must not make the checkout disposable.
    writeFileSync(join(cwd, WORK_MARKER), '');
    await refused('.', context, /is the current directory/);
    assert.deepEqual(readdirSync(cwd).sort(), ['.git', WORK_MARKER, 'README.md'].sort());
  });

  it('refuses a directory with files it did not make, and a file, naming --work and the fix', async () => {
    const { context, cwd } = place();
    const data = join(cwd, '..', 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'events.jsonl'), '{}\n');
    await refused(
      data,
      context,
      /is not empty and was not made by retrain \(it holds no \.fraudscore-retrain-work file\)/,
    );
    assert.deepEqual(readdirSync(data), ['events.jsonl']);
    await refused(join(data, 'events.jsonl'), context, /is a file, not a directory/);
    assert.ok(existsSync(join(data, 'events.jsonl')));
  });

  it('makes a new directory, takes an empty one, and empties only what it marked, run after run', async () => {
    const { context, cwd } = place();
    const made = await claimWorkDir('scratch/work', context);
    assert.equal(made, join(cwd, 'scratch', 'work'));
    assert.deepEqual(readdirSync(made), [WORK_MARKER]);
    mkdirSync(join(made, 'model'));
    writeFileSync(join(made, 'model', 'card.json'), '{}');
    writeFileSync(join(made, 'train.csv'), 'x\n');
    assert.equal(await claimWorkDir(made, context), made);
    assert.deepEqual(readdirSync(made), [WORK_MARKER]);

    const empty = join(cwd, '..', 'empty');
    mkdirSync(empty);
    await claimWorkDir(empty, context);
    assert.deepEqual(readdirSync(empty), [WORK_MARKER]);
  });

  it('keeps the default directory working across runs, also one an earlier retrain left without a marker', async () => {
    const { context, cwd } = place();
    const path = join(cwd, DEFAULT_WORK_DIR);
    for (let run = 0; run < 3; run++) {
      assert.equal(await claimWorkDir(DEFAULT_WORK_DIR, context), path);
      assert.deepEqual(readdirSync(path), [WORK_MARKER]);
      mkdirSync(join(path, 'train-raw'));
      writeFileSync(join(path, 'train.parquet'), 'table');
    }
    // Left by a retrain before marking: only the entries retrain writes.
    rmSync(join(path, WORK_MARKER));
    writeFileSync(join(path, 'train.parquet.manifest.json'), '{}');
    mkdirSync(join(path, 'model'));
    assert.equal((await checkWorkDir(DEFAULT_WORK_DIR, context)).state, 'earlier-default');
    await claimWorkDir(DEFAULT_WORK_DIR, context);
    assert.deepEqual(readdirSync(path), [WORK_MARKER]);
    // The same entries elsewhere, or anything else in the default directory: not retrain's to take.
    rmSync(join(path, WORK_MARKER));
    writeFileSync(join(path, 'notes.txt'), 'mine');
    await refused(DEFAULT_WORK_DIR, context, /is not empty and was not made by retrain/);
    const elsewhere = join(cwd, 'old-run');
    mkdirSync(join(elsewhere, 'model'), { recursive: true });
    await refused(elsewhere, context, /is not empty and was not made by retrain/);
    assert.deepEqual(readdirSync(elsewhere), ['model']);
  });
});
