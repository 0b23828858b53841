import { isSilent, STATUS_SILENT_AFTER_MS } from '../adapters/redis/worker-status.js';
import type { WorkerReport } from './status.js';

/**
 * Where the workers stand with one control change, as a change command's `--wait` follows it: from the reports the
 * workers keep in Redis (the same ones `fraudscore control status` reads). A worker has applied the change once its
 * applied version is the change's or a later one (a later change includes it); it has refused it when it refused that
 * version or a later one and applies neither (a refusal stands until the next change); otherwise it is pending.
 * Workers silent for STATUS_SILENT_AFTER_MS are not waited for: they crashed or cannot reach Redis.
 */
export interface ApplyProgress {
  readonly applied: readonly { readonly instance: string; readonly version: number; readonly tookMs: number | null }[];
  readonly refused: readonly { readonly instance: string; readonly version: number; readonly reason: string }[];
  readonly pending: readonly { readonly instance: string; readonly appliedVersion: number }[];
  readonly silent: readonly string[];
}

export type ApplyOutcome = 'applied' | 'refused' | 'pending' | 'no-workers';

export function applyProgress(version: number, workers: readonly WorkerReport[], nowMs: number): ApplyProgress {
  const applied: ApplyProgress['applied'][number][] = [];
  const refused: ApplyProgress['refused'][number][] = [];
  const pending: ApplyProgress['pending'][number][] = [];
  const silent: string[] = [];
  for (const { instance, status } of workers) {
    if (isSilent(status, nowMs)) {
      silent.push(instance);
      continue;
    }
    const appliedVersion = Number(status['appliedVersion'] ?? 0);
    const rejected = status['rejected'] as { version: number; reason: string } | null | undefined;
    if (appliedVersion >= version) {
      const appliedAt = status['appliedAtMs'];
      const recordAt = status['recordAtMs'];
      const tookMs =
        appliedVersion === version && typeof appliedAt === 'number' && typeof recordAt === 'number'
          ? Math.max(0, appliedAt - recordAt)
          : null;
      applied.push({ instance, version: appliedVersion, tookMs });
    } else if (rejected && rejected.version >= version) {
      refused.push({ instance, version: rejected.version, reason: rejected.reason });
    } else pending.push({ instance, appliedVersion });
  }
  return { applied, refused, pending, silent };
}

/** Settled once no reporting worker is pending: applied only if every one of them applied it. */
export function applyOutcome(progress: ApplyProgress): ApplyOutcome {
  if (progress.applied.length + progress.refused.length + progress.pending.length === 0) return 'no-workers';
  if (progress.pending.length > 0) return 'pending';
  return progress.refused.length > 0 ? 'refused' : 'applied';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** One line per worker that settled (applied or refused), as it settles. */
export function settledLine(worker: ApplyProgress['applied'][number] | ApplyProgress['refused'][number]): string {
  if ('reason' in worker) return `  ${worker.instance} REFUSED v${worker.version}: ${worker.reason}`;
  const took = worker.tookMs === null ? '' : ` (${seconds(worker.tookMs)} after the change was written)`;
  return `  ${worker.instance} applies v${worker.version}${took}`;
}

/**
 * The last lines of a wait: what it came to, and for a wait that did not end in every worker applying the change,
 * what to look at next.
 */
export function applySummary(
  version: number,
  progress: ApplyProgress,
  outcome: ApplyOutcome,
  waitedMs: number,
  statusCommand: string,
): string[] {
  const silentNote =
    progress.silent.length > 0
      ? `; not waited for, silent for over ${seconds(STATUS_SILENT_AFTER_MS)}: ${progress.silent.join(', ')}`
      : '';
  const reporting = progress.applied.length + progress.refused.length + progress.pending.length;
  switch (outcome) {
    case 'applied':
      return [`every reporting worker (${reporting}) applies v${version}${silentNote}`];
    case 'refused':
      return [
        `v${version} refused by ${progress.refused.length} of ${reporting} reporting worker(s); they serve as before` +
          `${silentNote}`,
        `  the reason is in each refusal above and in the worker's log; \`${statusCommand}\` shows every worker`,
      ];
    case 'no-workers':
      return [
        `no worker reported in the last ${seconds(STATUS_SILENT_AFTER_MS)}: nothing confirms v${version}` +
          `${silentNote}`,
        '  a worker applies it when it starts; workers that run but do not report cannot reach Redis',
      ];
    case 'pending':
      return [
        `not every worker applied v${version} within ${seconds(waitedMs)}: ` +
          progress.pending.map((w) => `${w.instance} still at v${w.appliedVersion}`).join(', ') +
          `${progress.refused.length > 0 ? `; ${progress.refused.length} refused it` : ''}${silentNote}`,
        `  a worker applies a change at its next batch boundary: one still behind is inside a long batch, retrying a ` +
          `failing one, or loading a model; \`${statusCommand}\` shows every worker`,
      ];
  }
}
