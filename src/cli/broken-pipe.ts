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

/** Writes to these streams end the process quietly once their reader has gone; any other write error stays loud. */
export function stopQuietlyWhenReaderGoes(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') {
        exit(EXIT_READER_GONE);
        return;
      }
      // A full disk or a closed terminal is a real failure: rethrown from the listener it is an uncaught exception,
      // as it would have been without one.
      throw error;
    });
  }
}
