import { catchStopSignals, StoppedBySignal } from '../adapters/process/stop-signals.js';

/**
 * Runs a command's work with the stop signals caught (catchStopSignals): Ctrl-C, SIGTERM or a reader of the output
 * that goes aborts the signal `work` is given, and `work` cleans up as it stops (partial files, a child process).
 * Stopped so, the command says `<command>: interrupted (<why>): <afterStop>` on stderr, the process is to end with the
 * signal's exit code (130, 143, 141), and the result is null; otherwise it is what `work` resolved with.
 */
export async function runStoppable<T>(
  command: string,
  afterStop: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T | null> {
  const stop = catchStopSignals();
  try {
    return await work(stop.signal);
  } catch (error) {
    const stoppedBy = stop.signal.reason as unknown;
    if (!(stoppedBy instanceof StoppedBySignal)) throw error;
    process.stderr.write(`${command}: interrupted (${stoppedBy.stoppedBy}): ${afterStop}\n`);
    process.exitCode = stoppedBy.exitCode;
    return null;
  } finally {
    stop.release();
  }
}
