import type { Redis } from 'ioredis';

/**
 * Where the workers of a topology tell what they serve (`fraudscore control status`, the drills): one Redis hash,
 * field the worker's instance id, value its serving status as JSON with the time it was written. Last write wins;
 * a worker writes only its own field: whenever its status changes and every STATUS_REFRESH_MS besides, and it
 * withdraws the field when it stops. A field not rewritten for STATUS_SILENT_AFTER_MS is a worker that stopped
 * without withdrawing it (a crash, a node lost) or cannot reach Redis: no longer counted among those serving.
 */
export interface WorkerStatusStore {
  publish(instanceId: string, status: object): Promise<void>;
  withdraw(instanceId: string): Promise<void>;
  readAll(): Promise<Map<string, Record<string, unknown> & { reportedAtMs: number }>>;
}

export const STATUS_REFRESH_MS = 10_000;
export const STATUS_SILENT_AFTER_MS = 6 * STATUS_REFRESH_MS;

/** A report not rewritten for STATUS_SILENT_AFTER_MS: its worker crashed or cannot reach Redis. */
export function isSilent(report: { readonly reportedAtMs: number }, nowMs: number): boolean {
  return nowMs - report.reportedAtMs > STATUS_SILENT_AFTER_MS;
}

export function workerStatusKey(keyPrefix: string): string {
  return `${keyPrefix}control:workers`;
}

export function createWorkerStatusStore(redis: Redis, key: string, clock: () => number = Date.now): WorkerStatusStore {
  return {
    async publish(instanceId, status) {
      await redis.hset(key, instanceId, JSON.stringify({ ...status, reportedAtMs: clock() }));
    },
    async withdraw(instanceId) {
      await redis.hdel(key, instanceId);
    },
    async readAll() {
      const raw = await redis.hgetall(key);
      const statuses = new Map<string, Record<string, unknown> & { reportedAtMs: number }>();
      for (const [instance, text] of Object.entries(raw)) {
        try {
          statuses.set(instance, JSON.parse(text) as Record<string, unknown> & { reportedAtMs: number });
        } catch {
          // A field someone else wrote by hand: not a worker's status.
        }
      }
      return statuses;
    },
  };
}
