import { isAbsolute, resolve } from 'node:path';

/**
 * A path as a message names it: resolved against `cwd` and, for a relative one, followed by the path as given and
 * the working directory it was resolved against, so that a command run from the wrong directory shows at once.
 */
export function resolvedPath(path: string, cwd: string = process.cwd()): string {
  const absolute = resolve(cwd, path);
  return isAbsolute(path) ? absolute : `${absolute} (${path}, relative to the working directory ${cwd})`;
}
