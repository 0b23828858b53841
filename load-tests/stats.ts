/** Small numeric helpers for benchmark reports. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

export function summarize(values: readonly number[]): {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean,
  };
}

export function machine(): string {
  // Imported lazily so this module stays usable from pure code paths.
  return `${process.platform} ${process.arch}, node ${process.version}`;
}

/** Samples the process RSS every 100 ms; stop() returns the peak in MiB, and what the process held then. */
export function rssSampler(): { stop(): number; atPeak(): string } {
  let peak = process.memoryUsage();
  const sample = () => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
  };
  const timer = setInterval(sample, 100);
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak.rss / 1024 / 1024;
    },
    atPeak() {
      return `V8 heap ${mib(peak.heapTotal)} MiB (${mib(peak.heapUsed)} used), external ${mib(peak.external)} MiB (array buffers ${mib(peak.arrayBuffers)})`;
    },
  };
}
