import { constants } from 'node:os';

/** The signals that stop a command: Ctrl-C at a terminal, and a supervisor's (or `kill`'s) polite stop. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** A shell's code for a process ended by a signal, 128 + its number: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** What a command's waits reject with once a stop signal arrived (see catchStopSignals). */
export class StoppedBySignal extends Error {
  constructor(readonly signal: StopSignal) {
    super(`stopped by ${signal}`);
    this.name = 'StoppedBySignal';
  }

  /** The code the process ends with, as if the signal had ended it. */
  get exitCode(): number {
    return signalExitCode(this.signal);
  }
}

export interface CaughtStopSignals {
  /** Rejects with StoppedBySignal at the first stop signal; race the command's waits against it. Never resolves. */
  readonly stopped: Promise<never>;
  /** Aborted at the first stop signal, for what takes an AbortSignal. */
  readonly signal: AbortSignal;
  /** Puts Node's own handling back (a signal ends the process on the spot). */
  release(): void;
}

/**
 * Node's own handling of SIGINT and SIGTERM ends the process on the spot and runs no `finally`: a Ctrl-C would
 * leave behind everything a command cleans up when it ends (a demo's topics and keys). From this call until
 * `release()`, the first stop signal instead rejects `stopped` and aborts `signal`, so the command winds down through
 * its own `finally` and then ends with the signal's exit code; a second one ends the process at once, with that code,
 * for someone who will not wait for the wind-down.
 */
export function catchStopSignals(): CaughtStopSignals {
  const controller = new AbortController();
  let reject: (error: StoppedBySignal) => void = () => undefined;
  const stopped = new Promise<never>((_, fail) => (reject = fail));
  // Observed here: a command that never raced against it must not die of an unhandled rejection.
  stopped.catch(() => undefined);
  const onSignal = (signal: StopSignal): void => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    const error = new StoppedBySignal(signal);
    controller.abort(error);
    reject(error);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    stopped,
    signal: controller.signal,
    release: () => {
      for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
    },
  };
}
