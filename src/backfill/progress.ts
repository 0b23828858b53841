import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, events: number): void;
  stop(): void;
}

const MIB = 1 << 20;
const SILENT: Progress = { update: () => undefined, stop: () => undefined };

/** A progress bar over input bytes on stderr, or nothing (not a TTY, or disabled). */
export function createProgress(enabled: boolean): Progress {
  if (!enabled) {
    return SILENT;
  }
  const bar = new cliProgress.SingleBar(
    {
      format: 'backfill [{bar}] {percentage}% | {mib}/{totalMib} MiB | {events} events | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, events) {
      const payload = { mib: (done / MIB).toFixed(1), totalMib: (total / MIB).toFixed(1), events };
      if (!started) {
        bar.start(Math.max(total, 1), done, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
