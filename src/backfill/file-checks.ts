import { constants, type Stats } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { BackfillOptionError } from './errors.js';
import { FLAGS, type BackfillOptions } from './options.js';
import { formatOf } from './sources.js';
import { DEFAULT_TABLE_FORMAT } from './table-format.js';

/**
 * The files a backfill names, checked before anything is read or written, each problem named by its flag with the
 * fix: an input that is missing, a directory, unreadable or of no known format; an --out that is a directory
 * (the final rename would fail only after the whole run, leaving its .partial file), anything else but a regular file
 * (a symbolic link, FIFO or device: the rename would replace it) or one of the inputs (the table would replace it).
 */
export async function checkFiles(options: BackfillOptions): Promise<void> {
  const inputs: { flag: string; path: string; stats: Stats }[] = [];
  const labels = options.labels === undefined ? [] : Array.isArray(options.labels) ? options.labels : [options.labels];
  const named = [
    { flag: FLAGS.events, item: options.events },
    ...(labels as readonly unknown[]).map((item) => ({ flag: FLAGS.labels, item })),
  ];
  for (const { flag, item } of named) {
    if (typeof item !== 'string') continue;
    inputs.push({ flag, path: item, stats: await readableFile(item, flag) });
    try {
      formatOf(item, options.format);
    } catch {
      throw new BackfillOptionError(
        flag,
        `cannot tell the format from its extension "${extname(item) || '(none)'}"; name a .jsonl (JSON Lines) or ` +
          '.csv file',
        item,
      );
    }
  }

  // lstat: the table is renamed over --out, which replaces a symbolic link, FIFO or device instead of writing to it.
  const out = await lstatOrNull(options.out);
  if (out?.isDirectory()) {
    throw new BackfillOptionError(
      FLAGS.out,
      `is a directory; name the table file to write, e.g. ${join(options.out, `train.${options.tableFormat ?? DEFAULT_TABLE_FORMAT}`)}`,
      options.out,
    );
  }
  if (out && !out.isFile()) {
    throw new BackfillOptionError(
      FLAGS.out,
      `is ${kindOf(out)}, not a regular file: the table is written beside it and renamed over it, which would ` +
        'replace it rather than write to it; name a regular file or a new path (the file the link points to, for ' +
        'a symbolic link)',
      options.out,
    );
  }
  const same = out && inputs.find(({ stats }) => stats.dev === out.dev && stats.ino === out.ino);
  if (same) {
    throw new BackfillOptionError(
      FLAGS.out,
      `is the ${same.flag} file ${same.path}: the table would replace it; name another file for the table`,
      options.out,
    );
  }
}

function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'a special file';
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch {
    // Absent (or unreachable, which writing it will report): nothing to refuse here.
    return null;
  }
}

async function readableFile(path: string, flag: string): Promise<Stats> {
  const refuse = (problem: string) => new BackfillOptionError(flag, problem, path);
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw refuse(`file not found (${resolve(path)}); check the path (a topic is read with topic:<name>)`);
    }
    if (code === 'EACCES') throw refuse('not readable (permission denied on its directory); check the permissions');
    throw refuse(`cannot be read (${code ?? String(error)})`);
  }
  if (stats.isDirectory()) throw refuse('is a directory; name the .jsonl or .csv file in it to read');
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw refuse(`not readable (${code}); check its permissions`);
  }
  return stats;
}
