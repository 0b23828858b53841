import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

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

/** A CLI command running as a child process (see startCli). */
export interface RunningCli {
  readonly child: ChildProcess;
  /** stdout and stderr so far, in the order they arrived. */
  readonly output: () => string;
  /** Date.now() when it last printed (its start before it printed anything). */
  readonly lastOutputAt: () => number;
  /** Its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Resolves once its output matches `pattern`; throws after `timeoutMs`. */
  printed(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts the built CLI with only PATH and `env` set, for a test that watches it run, signals it or waits for it. */
export function startCli(
  args: readonly string[],
  { env = {} }: { readonly env?: Record<string, string> } = {},
): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let lastOutputAt = Date.now();
  const print = (chunk: Buffer) => {
    output += chunk.toString();
    lastOutputAt = Date.now();
  };
  child.stdout.on('data', print);
  child.stderr.on('data', print);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    lastOutputAt: () => lastOutputAt,
    exited,
    printed: async (pattern, timeoutMs = 30_000) => {
      await waitFor(`${pattern} printed`, () => Promise.resolve(pattern.test(output) ? true : undefined), timeoutMs);
    },
  };
}
