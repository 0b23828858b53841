import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signalExitCode, STOP_SIGNALS, type StopSignal } from '../adapters/process/stop-signals.js';

export { signalExitCode } from '../adapters/process/stop-signals.js';

/**
 * Runs `use` with a new directory under the system's temporary directory (its name starts with `prefix`) and
 * removes the directory however the process ends: `use` settling, either way; the process exiting (process.exit, an
 * uncaught exception); or SIGINT or SIGTERM. Node's own handling of those signals ends the process on the spot and
 * runs no `finally`, so a Ctrl-C would leave the directory behind. Here the signal removes it and then ends the
 * process with the code the signal would have given it, so the caller (a shell, a script) still sees an interrupted
 * command. Meant for commands with no graceful stop of their own: the signal ends the process, it does not wait.
 * A command that winds down on a stop signal itself (catchStopSignals) passes `windsDownOnSignal`: the signal is
 * then left to it, and the directory goes when `use` settles or the process exits.
 */
export async function withTemporaryDirectory<T>(
  prefix: string,
  use: (dir: string) => Promise<T>,
  { windsDownOnSignal = false } = {},
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Synchronous: an 'exit' listener and a process about to exit get no further turn of the event loop.
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const onSignal = (signal: StopSignal): void => {
    remove();
    process.exit(signalExitCode(signal));
  };
  const signals = windsDownOnSignal ? [] : STOP_SIGNALS;
  for (const signal of signals) process.once(signal, onSignal);
  process.once('exit', remove);
  try {
    return await use(dir);
  } finally {
    for (const signal of signals) process.removeListener(signal, onSignal);
    process.removeListener('exit', remove);
    remove();
  }
}
