import { setFlagsFromString } from 'node:v8';

/**
 * The worker's live heap is small (~50 MB: models, caches, one or two batches in flight), but it allocates fast
 * (every record's decoded value, features and encoded output are garbage one batch later). V8's default heap growing
 * factor (up to 4× the live size after a full GC, to save GC time) then lets the old space grow to ~200 MB of mostly
 * garbage before it collects: that, not what the worker holds, made its peak RSS. A factor of 1.5 keeps the peak near
 * the live size for a few percent more CPU (measured with load-tests/throughput.ts; README, Performance).
 */
export const HEAP_GROWING_PERCENT = 50;

/** Applied once, at start-up, by `fraudscore run` (and the throughput benchmark, which runs the same worker). */
export function tuneHeapForWorker(): void {
  // Read by V8 after every full GC, so it applies from the next one on (no command-line flag needed).
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
