import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The signals that stop a command: Ctrl-C at a terminal, and a supervisor's (or `kill`'s) polite stop. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** A shell's code for a process ended by a signal, 128 + its number: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Runs `use` with a new directory under the system's temporary directory (its name starts with `prefix`) and
 * removes the directory however the process ends: `use` settling, either way; the process exiting (process.exit, an
 * uncaught exception); or SIGINT or SIGTERM. Node's own handling of those signals ends the process on the spot and
 * runs no `finally`, so a Ctrl-C would leave the directory behind. Here the signal removes it and then ends the
 * process with the code the signal would have given it, so the caller (a shell, a script) still sees an interrupted
 * command. Meant for commands with no graceful stop of their own: the signal ends the process, it does not wait.
 */
export async function withTemporaryDirectory<T>(prefix: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Synchronous: an 'exit' listener and a process about to exit get no further turn of the event loop.
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const onSignal = (signal: StopSignal): void => {
    remove();
    process.exit(signalExitCode(signal));
  };
  for (const signal of STOP_SIGNALS) process.once(signal, onSignal);
  process.once('exit', remove);
  try {
    return await use(dir);
  } finally {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
    process.removeListener('exit', remove);
    remove();
  }
}
