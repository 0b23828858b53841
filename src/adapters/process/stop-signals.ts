import { constants } from 'node:os';
import { windDownWhenReaderGoes } from './broken-pipe.js';

/** The signals that stop a command: Ctrl-C at a terminal, and a supervisor's (or `kill`'s) polite stop. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Why a command stops early: a stop signal, or SIGPIPE's cause, the reader of its output gone (Node ignores SIGPIPE). */
export type StopCause = StopSignal | 'SIGPIPE';

/** A shell's code for a process ended by a signal, 128 + its number: 130 for SIGINT, 143 for SIGTERM, 141 for SIGPIPE. */
export function signalExitCode(signal: StopCause): number {
  return 128 + constants.signals[signal];
}

/**
 * How soon after the reader of the output went a stop signal still counts as the same stop: Ctrl-C at `demo | tee`
 * reaches both at once, and the reader's end may be noticed first.
 */
const SAME_STOP_MS = 1_000;

/** What a command's waits reject with once a stop signal arrived (see catchStopSignals). */
export class StoppedBySignal extends Error {
  private cause_: StopCause;

  constructor(signal: StopCause) {
    super(signal === 'SIGPIPE' ? 'stopped: the reader of the output has gone' : `stopped by ${signal}`);
    this.name = 'StoppedBySignal';
    this.cause_ = signal;
  }

  /** What stopped the command: the signal, or SIGPIPE for the reader of its output gone. */
  get signal(): StopCause {
    return this.cause_;
  }

  /**
   * A stop signal just after the reader of the output went (SAME_STOP_MS): Ctrl-C at `demo | tee` ends the reader
   * too, and the reader's end may be noticed before the signal arrives. The stop is then the person's one Ctrl-C, not
   * a second one: the command goes on winding down and ends with the signal's code.
   */
  signalled(signal: StopSignal): void {
    if (this.cause_ === 'SIGPIPE') this.cause_ = signal;
  }

  /** The stop as a message names it: the signal, or the reader's going. */
  get stoppedBy(): string {
    return this.signal === 'SIGPIPE' ? 'the reader of the output has gone' : this.signal;
  }

  /** How a person ends the wind-down too, for the message that announces it. */
  get stopAtOnce(): string {
    return `${this.signal === 'SIGPIPE' ? 'Ctrl-C' : this.signal} again stops at once`;
  }

  /** The code the process ends with, as if the signal had ended it. */
  get exitCode(): number {
    return signalExitCode(this.signal);
  }
}

export interface CaughtStopSignals {
  /** Rejects with StoppedBySignal at the first stop signal; race the command's waits against it. Never resolves. */
  readonly stopped: Promise<never>;
  /** Aborted at the first stop signal, for what takes an AbortSignal; its reason is the StoppedBySignal. */
  readonly signal: AbortSignal;
  /** Puts Node's own handling back (a signal ends the process on the spot, so does a reader that goes). */
  release(): void;
}

/**
 * Node's own handling of SIGINT and SIGTERM ends the process on the spot and runs no `finally`: a Ctrl-C would
 * leave behind everything a command cleans up when it ends (a demo's topics and keys). From this call until
 * `release()`, the first stop signal instead rejects `stopped` and aborts `signal`, so the command winds down through
 * its own `finally` and then ends with the signal's exit code; a second one ends the process at once, with that code,
 * for someone who will not wait for the wind-down. A reader of the output that goes (a closed pipe) stops the
 * command as the first signal does (StoppedBySignal 'SIGPIPE', exit 141), rather than ending it on the spot; a stop
 * signal within a second after it is still the first (Ctrl-C at a pipe ends the reader too): the wind-down goes on and
 * the command ends with the signal's code.
 */
export function catchStopSignals(): CaughtStopSignals {
  const controller = new AbortController();
  let reject: (error: StoppedBySignal) => void = () => undefined;
  const stopped = new Promise<never>((_, fail) => (reject = fail));
  // Observed here: a command that never raced against it must not die of an unhandled rejection.
  stopped.catch(() => undefined);
  const stopBy = (cause: StopCause): void => {
    const error = new StoppedBySignal(cause);
    controller.abort(error);
    reject(error);
  };
  let readerGoneAtMs = Number.NEGATIVE_INFINITY;
  const onSignal = (signal: StopSignal): void => {
    const stopped = controller.signal.reason as StoppedBySignal | undefined;
    // The reader went just before: the same Ctrl-C ended it (one stop). Later, a signal is a second stop.
    if (stopped?.signal === 'SIGPIPE' && Date.now() - readerGoneAtMs <= SAME_STOP_MS) {
      return stopped.signalled(signal);
    }
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    stopBy(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // A wind-down already under way goes on when its messages find no reader.
  const releaseReaderGone = windDownWhenReaderGoes(() => {
    if (controller.signal.aborted) return;
    readerGoneAtMs = Date.now();
    stopBy('SIGPIPE');
  });
  return {
    stopped,
    signal: controller.signal,
    release: () => {
      for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
      releaseReaderGone();
    },
  };
}
