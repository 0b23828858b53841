import type { CloseReason } from '../core/batch/batch-window.js';
import type { ConsumedRecord } from './consumed-record.js';

/** One microbatch in flight: its records, why it closed, and a promise settled when it is committed (or failed). */
export class Microbatch {
  readonly records: ConsumedRecord[] = [];
  closeReason: CloseReason | undefined;
  closedAtMs = 0;
  readonly committed: Promise<void>;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor(readonly id: string) {
    this.committed = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A failure is always also reported to the runner; waiters that went away must not crash the process.
    this.committed.catch(() => undefined);
  }

  resolve(): void {
    this.settle.resolve();
  }

  reject(error: unknown): void {
    this.settle.reject(error);
  }
}
