import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/**
 * Why a path a command needs is not there, or null when it is. The defaults (`registry`, `topologies/…`) are relative
 * to the project root, so from another directory they name nothing; the message gives the path resolved and, for a
 * relative one, the working directory it was resolved against, so that the mistake shows at once.
 */
export function missingPath(path: string, what: string, cwd: string = process.cwd()): string | null {
  const absolute = resolve(cwd, path);
  if (existsSync(absolute)) return null;
  const relative = isAbsolute(path) ? '' : ` (${path}, relative to the working directory ${cwd})`;
  return `no ${what} at ${absolute}${relative}`;
}
