import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolvedPath } from '../config/resolved-path.js';

/**
 * Why a path a command needs is not there, or null when it is. The defaults (`registry`, `topologies/…`) are relative
 * to the project root, so from another directory they name nothing; the message gives the path resolved and, for a
 * relative one, the working directory it was resolved against, so that the mistake shows at once.
 */
export function missingPath(path: string, what: string, cwd: string = process.cwd()): string | null {
  if (existsSync(resolve(cwd, path))) return null;
  return `no ${what} at ${resolvedPath(path, cwd)}`;
}
