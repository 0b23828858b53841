/**
 * What the CLI does when the reader of its output has gone (`fraudscore models list | head -1`): the next write fails
 * with EPIPE, which Node reports as an 'error' event on the stream; without a listener that is an uncaught exception
 * and a stack trace on the terminal, for what is an ordinary end of a pipeline.
 *
 * A C tool such as `seq` is killed by SIGPIPE there, silently, and the shell reports 128 + 13 = 141. Node ignores
 * SIGPIPE, so the CLI does the same by hand: it stops at once, prints nothing, and exits 141. Not 0: the command may
 * have been cut short before its work was done (retrain, backfill, simulate), and a script under `set -o pipefail`
 * should see that exactly as it would for any other Unix tool; without pipefail the pipeline's status is the reader's.
 */
export const EXIT_READER_GONE = 128 + 13;

/** What a command that cleans up after itself does instead, while it runs (see windDownWhenReaderGoes). */
let windDown: (() => void) | null = null;

/**
 * Writes to these streams end the process quietly once their reader has gone; any other write error stays loud.
 * While a command has asked to wind down instead (windDownWhenReaderGoes), the failed write calls its wind-down and
 * the process goes on.
 */
export function stopQuietlyWhenReaderGoes(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') {
        if (windDown !== null) windDown();
        else exit(EXIT_READER_GONE);
        return;
      }
      // A full disk or a closed terminal is a real failure: rethrown from the listener it is an uncaught exception,
      // as it would have been without one.
      throw error;
    });
  }
}

/**
 * For a command that leaves things behind unless it ends through its own clean-up (a demo's topics and keys): from
 * this call until the returned release, a reader that goes (`fraudscore demo | head`, or a Ctrl-C that ends the
 * `tee` of `demo | tee log` before the demo's wind-down has printed its last line) calls `onReaderGone` instead of
 * ending the process. It is called at every write that fails so; the command acts on the first and ends with
 * EXIT_READER_GONE once it has cleaned up. What it still writes meanwhile goes nowhere, quietly.
 */
export function windDownWhenReaderGoes(onReaderGone: () => void): () => void {
  const previous = windDown;
  windDown = onReaderGone;
  return () => {
    windDown = previous;
  };
}
