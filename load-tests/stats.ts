import { readFileSync } from 'node:fs';

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

/** Resident memory by kind, in MiB (Linux's /proc/self/status; undefined elsewhere). */
export interface ResidentByKind {
  /** Pages mapped from files: the node binary's and the shared libraries' code and data (onnxruntime's ~45 MB). */
  readonly fileMiB: number;
  /** Everything the process allocated: V8's heap, buffers, native allocations. */
  readonly anonymousMiB: number;
}

export function residentByKind(): ResidentByKind | undefined {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  const file = kib('RssFile');
  const anonymous = kib('RssAnon');
  if (!Number.isFinite(file) || !Number.isFinite(anonymous)) return undefined;
  return { fileMiB: file / 1024, anonymousMiB: anonymous / 1024 };
}

export function describeResident(resident: ResidentByKind | undefined): string {
  return resident
    ? `file-backed ${resident.fileMiB.toFixed(0)} MiB, anonymous ${resident.anonymousMiB.toFixed(0)} MiB`
    : 'file-backed and anonymous not known on this platform';
}

/** Samples the process RSS every 100 ms; stop() returns the peak in MiB, and what the process held then. */
export function rssSampler(): { stop(): number; atPeak(): string } {
  let peak = process.memoryUsage();
  let peakResident = residentByKind();
  const sample = () => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) {
      peak = now;
      peakResident = residentByKind();
    }
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
      return `${describeResident(peakResident)}; V8 heap ${mib(peak.heapTotal)} MiB (${mib(peak.heapUsed)} used), external ${mib(peak.external)} MiB (array buffers ${mib(peak.arrayBuffers)})`;
    },
  };
}
