import { createProgress as createProgressOutput } from '../adapters/observability/progress.js';

export interface Progress {
  update(done: number, total: number, events: number): void;
  stop(): void;
}

const MIB = 1 << 20;

/** Progress over input bytes on stderr (a bar at a terminal, a line every few seconds elsewhere), or nothing. */
export function createProgress(enabled: boolean, stream: NodeJS.WritableStream = process.stderr): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const output = createProgressOutput<{ mib: string; totalMib: string; events: number }>({
    stream,
    bar: 'backfill [{bar}] {percentage}% | {mib}/{totalMib} MiB | {events} events | ETA {eta_formatted}',
    line: (done, total, p) =>
      `backfill: ${p.mib}/${p.totalMib} MiB (${Math.floor((100 * done) / Math.max(total, 1))}%), ${p.events} events`,
  });
  return {
    update(done, total, events) {
      output.update(done, total, { mib: (done / MIB).toFixed(1), totalMib: (total / MIB).toFixed(1), events });
    },
    stop: () => output.stop(),
  };
}
