import type { Scorer } from '../adapters/onnx/onnx-scorer.js';

/**
 * The scorer, closed only once no run of it is under way. A batch's scoring has ended when the runner comes back to
 * the next batch boundary, except a challenger's run that route-scores abandoned at its time limit: it may still be
 * inside the session, and releasing an onnxruntime session under a run frees memory the run is using. So `close()`
 * closes at once when the scorer is idle; otherwise it resolves at once and the session is closed when the last run
 * ends (a run that never ends must not hold the caller, a shutdown above all). A run asked for after `close()` is
 * refused; a second `close()` does nothing.
 */
export function closeWhenIdle(scorer: Scorer): Scorer {
  let running = 0;
  let closeRequested = false;
  let closeOnceIdle: (() => void) | undefined;
  return {
    async score(features, rows) {
      if (closeRequested) throw new Error('this model was released: it scores nothing any more');
      running++;
      try {
        return await scorer.score(features, rows);
      } finally {
        running--;
        if (running === 0) closeOnceIdle?.();
      }
    },
    close() {
      if (closeRequested) return Promise.resolve();
      closeRequested = true;
      if (running === 0) return scorer.close();
      // Nobody waits for this close any more: a failure here has no caller left to report it to.
      closeOnceIdle = () => void scorer.close().catch(() => undefined);
      return Promise.resolve();
    },
  };
}
