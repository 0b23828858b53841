import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { BackfillOptionError, runBackfill, type BackfillOptions } from '../../../src/backfill/index.js';

/** runBackfill checks the files it is given before it reads or writes anything; each refusal names the flag. */
const dir = mkdtempSync(join(tmpdir(), 'fraudscore-file-checks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const events = join(dir, 'events.jsonl');
writeFileSync(
  events,
  '{"transaction_id":"t1","event_time":1767600000000,"customer_id":"c","terminal_id":"k","amount":1,"currency":"EUR"}\n',
);
const labels = join(dir, 'labels.jsonl');
writeFileSync(labels, '{"transaction_id":"t1","is_fraud":true,"reported_at":1767700000000}\n');

function options(extra: Partial<BackfillOptions>): BackfillOptions {
  return {
    events,
    labels,
    out: join(dir, 'out', 'table.parquet'),
    labelDelayMs: 7 * 86_400_000,
    stdout: null,
    stderr: null,
    ...extra,
  };
}

async function refused(extra: Partial<BackfillOptions>, message: string): Promise<void> {
  const before = readdirSync(dir).sort();
  await assert.rejects(runBackfill(options(extra)), (error: unknown) => {
    assert.ok(error instanceof BackfillOptionError, String(error));
    assert.equal(error.message, message);
    return true;
  });
  assert.deepEqual(readdirSync(dir).sort(), before, 'nothing written');
}

/** Imports the backfill (argv 1), becomes `nobody`, runs it with the options (argv 2) and prints how it ended. */
const AS_NOBODY = `
const [moduleUrl, optionsJson] = process.argv.slice(1);
const { runBackfill } = await import(moduleUrl);
process.setgid(65534);
process.setuid(65534);
try {
  await runBackfill(JSON.parse(optionsJson));
  console.log('not refused');
} catch (error) {
  console.log(error.constructor.name + ': ' + error.message);
}`;

describe('backfill file checks', () => {
  it('name --events or --labels and say what is wrong: not found, a directory, no known format', async () => {
    await refused(
      { events: join(dir, 'nope.jsonl') },
      `--events ${join(dir, 'nope.jsonl')}: file not found (${join(dir, 'nope.jsonl')}); check the path ` +
        '(a topic is read with topic:<name>)',
    );
    await refused(
      { events: 'nope.jsonl' },
      `--events nope.jsonl: file not found (${resolve('nope.jsonl')}); check the path (a topic is read with topic:<name>)`,
    );
    await refused(
      { labels: [labels, join(dir, 'missing.csv')] },
      `--labels ${join(dir, 'missing.csv')}: file not found (${join(dir, 'missing.csv')}); check the path ` +
        '(a topic is read with topic:<name>)',
    );
    await refused({ events: dir }, `--events ${dir}: is a directory; name the .jsonl or .csv file in it to read`);
    await refused({ labels: dir }, `--labels ${dir}: is a directory; name the .jsonl or .csv file in it to read`);
    const text = join(dir, 'events.txt');
    writeFileSync(text, '');
    await refused(
      { events: text },
      `--events ${text}: cannot tell the format from its extension ".txt"; name a .jsonl (JSON Lines) or .csv file`,
    );
  });

  it('name a file that cannot be read', async () => {
    const locked = join(dir, 'locked.jsonl');
    writeFileSync(locked, readFileSync(events));
    chmodSync(locked, 0o000);
    const message = `--events ${locked}: not readable (EACCES); check its permissions`;
    try {
      if (process.getuid?.() === 0) {
        // root reads it regardless: the check must not refuse what can be read...
        await runBackfill(options({ events: locked, out: join(dir, 'locked', 'table.parquet') }));
        // ...and a user it is locked against is refused, the file named: a child process imports the backfill as
        // root, drops to `nobody` for good (real and effective ids: the check asks access(2), which reads the real
        // one), and runs it on the locked file, the directory searchable and --out where nobody may write.
        const writable = join(dir, 'writable');
        mkdirSync(writable);
        chmodSync(writable, 0o777);
        chmodSync(dir, 0o711);
        try {
          const child = spawnSync(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              AS_NOBODY,
              new URL('../../../src/backfill/index.js', import.meta.url).href,
              JSON.stringify(options({ events: locked, out: join(writable, 'table.parquet') })),
            ],
            { encoding: 'utf8', timeout: 30_000 },
          );
          assert.equal(child.status, 0, child.stderr);
          assert.equal(child.stdout.trim(), `BackfillOptionError: ${message}`);
        } finally {
          chmodSync(dir, 0o700);
        }
      } else {
        await refused({ events: locked }, message);
      }
    } finally {
      chmodSync(locked, 0o644);
    }
  });

  it('refuse an --out that is a directory or an input before the run, leaving no partial file', async () => {
    const existing = join(dir, 'existing');
    mkdirSync(existing);
    await refused(
      { out: existing },
      `--out ${existing}: is a directory; name the table file to write, e.g. ${join(existing, 'train.parquet')}`,
    );
    assert.deepEqual(readdirSync(existing), []);
    await refused(
      { out: labels, tableFormat: 'csv' },
      `--out ${labels}: is the --labels file ${labels}: the table would replace it; name another file for the table`,
    );
    assert.match(readFileSync(labels, 'utf8'), /"is_fraud":true/);
  });

  it('refuse an --out that exists but is not a regular file (a link, FIFO or device the rename would replace)', async () => {
    const special = join(dir, 'special');
    mkdirSync(special);
    const target = join(special, 'kept.csv');
    writeFileSync(target, 'kept\n');
    const link = join(special, 'link.csv');
    symlinkSync(target, link);
    const fifo = join(special, 'pipe.csv');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    const fix =
      'not a regular file: the table is written beside it and renamed over it, which would replace it rather than ' +
      'write to it; name a regular file or a new path (the file the link points to, for a symbolic link)';
    const dangling = join(special, 'dangling.csv');
    symlinkSync(join(special, 'nowhere.csv'), dangling);
    // A device is refused by the same check; none is named here, as a regression would replace it (tests run as root).
    for (const [out, kind] of [
      [link, 'a symbolic link'],
      [dangling, 'a symbolic link'],
      [fifo, 'a FIFO (named pipe)'],
    ] as const) {
      const before = readdirSync(special).sort();
      await assert.rejects(runBackfill(options({ out, tableFormat: 'csv' })), (error: unknown) => {
        assert.ok(error instanceof BackfillOptionError, String(error));
        assert.equal(error.message, `--out ${out}: is ${kind}, ${fix}`);
        return true;
      });
      assert.deepEqual(readdirSync(special).sort(), before, 'nothing written');
    }
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.ok(lstatSync(fifo).isFIFO());
    assert.equal(readFileSync(target, 'utf8'), 'kept\n');
  });

  it('name --out when its directory cannot be made', async () => {
    await refused(
      { out: join(events, 'table.parquet') },
      `--out ${join(events, 'table.parquet')}: cannot make its directory ${events} (a file is in the way); name a ` +
        'file in a directory that exists or can be made',
    );
  });
});
