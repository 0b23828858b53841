import cliProgress from 'cli-progress';

/** How far a long command is: a bar at a terminal, a plain line every few seconds anywhere else. */
export interface Progress<P extends object> {
  update(value: number, total: number, payload: P): void;
  /** Draws the final state (a last line off a terminal) and releases the terminal. */
  stop(): void;
}

export interface ProgressOptions<P extends object> {
  readonly stream: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /**
   * The bar at a terminal, in cli-progress' format: {bar}, {percentage}, {value}, {total}, {eta_formatted} and the
   * payload's keys.
   */
  readonly bar: string;
  /** The plain line written off a terminal (a file, a pipe, a CI log), without a newline. */
  readonly line: (value: number, total: number, payload: P) => string;
  /** Off a terminal, at most one line per this many ms (and one at stop). */
  readonly intervalMs?: number;
  readonly clock?: () => number;
}

/**
 * A log a person reads later wants a line now and then, not a redraw: a redrawn bar written to a file or a CI log is
 * one endless line of carriage returns. Five seconds keeps a minute-long run to about a dozen lines.
 */
export const PLAIN_PROGRESS_INTERVAL_MS = 5_000;

export function createProgress<P extends object>(options: ProgressOptions<P>): Progress<P> {
  return options.stream.isTTY === true ? terminalBar(options) : plainLines(options);
}

function terminalBar<P extends object>(options: ProgressOptions<P>): Progress<P> {
  const bar = new cliProgress.SingleBar(
    { format: options.bar, stream: options.stream, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(value, total, payload) {
      if (!started) {
        bar.start(Math.max(total, 1), value, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(value, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function plainLines<P extends object>(options: ProgressOptions<P>): Progress<P> {
  const interval = options.intervalMs ?? PLAIN_PROGRESS_INTERVAL_MS;
  const clock = options.clock ?? Date.now;
  let last: { value: number; total: number; payload: P } | undefined;
  let printed = true;
  let printedAt = -Infinity;
  const print = () => {
    if (!last || printed) return;
    options.stream.write(`${options.line(last.value, last.total, last.payload)}\n`);
    printed = true;
  };
  return {
    update(value, total, payload) {
      last = { value, total, payload };
      printed = false;
      const now = clock();
      if (now - printedAt >= interval) {
        printedAt = now;
        print();
      }
    },
    stop() {
      print();
      last = undefined;
    },
  };
}
