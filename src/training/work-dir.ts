import { lstat, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { RetrainError } from './errors.js';
import { makeDirectories } from '../adapters/files/make-directories.js';

/**
 * The work directory of `fraudscore retrain`: scratch space it empties on every run. Emptying a directory is only
 * safe if retrain made it, so retrain marks the directories it makes or takes over (empty ones) with a file, and
 * empties no other: a `--work` typed wrong (`.`, `~`, a checkout, a data directory) is refused before anything is
 * touched.
 */

/** The file that marks a directory as retrain's own. */
export const WORK_MARKER = '.fraudscore-retrain-work';

/** Relative to the current directory; `.fraudscore/` holds the CLI's local state and is ignored by git. */
export const DEFAULT_WORK_DIR = '.fraudscore/retrain';

const MARKER_TEXT =
  'This directory is the scratch space of `fraudscore retrain`, which empties it on every run.\n' +
  'Keep nothing here: whatever is in it is deleted by the next retrain that uses it.\n';

/**
 * Entries retrain writes at the top of its work directory (raw data, tables and manifests, their partial files, the
 * model). Work directories made before the marker existed hold only these; the default directory is taken over
 * when that is all it holds, so that it keeps working for whoever retrained before.
 */
const RETRAIN_ENTRY =
  /^(train-raw|reference-raw|model|(train|reference)\.(csv|parquet)(\.manifest\.json)?(\.partial)?)$/;

export interface WorkDirContext {
  /** The directory relative paths are resolved against and that must survive: default process.cwd(). */
  readonly cwd: string;
  /** Default os.homedir(). */
  readonly home: string;
}

type WorkDirState = 'absent' | 'empty' | 'marked' | 'earlier-default';

export interface WorkDirPlan {
  /** The absolute path. */
  readonly path: string;
  readonly state: WorkDirState;
}

function defaultContext(): WorkDirContext {
  return { cwd: process.cwd(), home: homedir() };
}

/** `inner` is `outer` or lies inside it. */
function within(outer: string, inner: string): boolean {
  const path = relative(outer, inner);
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path));
}

async function realOrSame(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

const FIX = 'choose an empty or new directory for --work (default: ' + DEFAULT_WORK_DIR + ')';

/**
 * Decides whether `work` may serve as the work directory, changing nothing. Refused, always: the filesystem root,
 * the home directory, the current directory and any directory that contains it (also through symbolic links), a
 * file. Refused unless marked: a directory that is not empty. The error names --work, what the directory is, and
 * the fix.
 */
export async function checkWorkDir(work: string, context: WorkDirContext = defaultContext()): Promise<WorkDirPlan> {
  const path = resolve(context.cwd, work);
  const refuse = (what: string) =>
    new RetrainError(`--work ${work}: ${what}; retrain empties its work directory on every run: ${FIX}`);
  const cwds = new Set([resolve(context.cwd), await realOrSame(context.cwd)]);
  const homes = new Set([resolve(context.home), await realOrSame(context.home)]);
  for (const candidate of new Set([path, await realOrSame(path)])) {
    if (parse(candidate).root === candidate) throw refuse(`${candidate} is the filesystem root`);
    if (homes.has(candidate)) throw refuse(`${candidate} is your home directory`);
    for (const cwd of cwds) {
      if (candidate === cwd) throw refuse(`${candidate} is the current directory`);
      if (within(candidate, cwd)) throw refuse(`${candidate} contains the current directory (${cwd})`);
    }
  }
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, state: 'absent' };
    throw new RetrainError(`--work ${work}: cannot use ${path} (${code ?? String(error)}); ${FIX}`);
  }
  if (!isDirectory) throw refuse(`${path} is a file, not a directory`);
  const entries = await readdir(path);
  if (entries.length === 0) return { path, state: 'empty' };
  if (entries.includes(WORK_MARKER) && (await lstat(join(path, WORK_MARKER))).isFile()) {
    return { path, state: 'marked' };
  }
  if (path === resolve(context.cwd, DEFAULT_WORK_DIR) && entries.every((entry) => RETRAIN_ENTRY.test(entry))) {
    return { path, state: 'earlier-default' };
  }
  throw refuse(
    `${path} is not empty and was not made by retrain (it holds no ${WORK_MARKER} file), so it may hold files ` +
      'of yours',
  );
}

/**
 * Checks `work` (checkWorkDir) and makes it an empty, marked directory: created if absent, emptied if it is
 * retrain's own. Returns the absolute path.
 */
export async function claimWorkDir(work: string, context: WorkDirContext = defaultContext()): Promise<string> {
  const { path, state } = await checkWorkDir(work, context);
  if (state === 'absent') {
    makeDirectories(path);
  } else if (state === 'marked' || state === 'earlier-default') {
    // The entries, not the directory: its permissions (or a mount on it) stay as the user made them.
    for (const entry of await readdir(path)) {
      if (entry !== WORK_MARKER) await rm(join(path, entry), { recursive: true, force: true });
    }
  }
  await writeFile(join(path, WORK_MARKER), MARKER_TEXT);
  return path;
}
