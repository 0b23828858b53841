import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, found from this file (dist/test/support) so that a test may run it from any directory. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliRun {
  readonly status: number | null;
  /** stdout then stderr, as a person at a terminal reads them. */
  readonly output: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI with only PATH and `env` set, in `cwd` (default: the working directory of the tests). */
export function fraudscore(
  args: readonly string[],
  { env = {}, cwd }: { readonly env?: Record<string, string>; readonly cwd?: string } = {},
): CliRun {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: 60_000,
    ...(cwd ? { cwd } : {}),
  });
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}
