import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * `mkdir -p`: makes `path` and any missing parents; a directory already there is fine. Node's own recursive mkdir
 * retries forever where the file system refuses a directory whose parent exists (`/proc/x`, sysfs): this makes
 * each level once and lets the refusal through as the error it is (ENOENT, EACCES, EROFS, ENOTDIR, ...).
 */
export function makeDirectories(path: string): void {
  try {
    mkdirSync(path);
    return;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EEXIST' && isDirectory(path)) return;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path || isDirectory(parent)) throw error;
    makeDirectories(parent);
  }
  try {
    mkdirSync(path);
  } catch (error) {
    // Made by someone else since the first attempt.
    if (errnoCode(error) !== 'EEXIST' || !isDirectory(path)) throw error;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
