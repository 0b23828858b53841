import type { PositionedTransaction } from '../../src/core/contract/events.js';

/**
 * What the runner passes featurize() as replayableFromMs, for tests that drive the engine directly: the oldest event
 * time of the last `depth` batches before this one, those that may still be read again. The runner counts batches
 * whose commit has not ended: the one before, while it is being committed (tried again as often as it takes). A
 * deeper floor only keeps more history: rows change only for records later than the lateness margin, whose terminal
 * windows read what the terminal's trims left (conformance case "trimming: a terminal keeps ...").
 */
export class ReplayableBatches {
  private readonly oldest: number[] = [];

  constructor(private readonly depth: number) {}

  /** The replayableFromMs for the next featurize() call. */
  floorMs(): number {
    return Math.min(...this.oldest);
  }

  /** A featurize() call recorded this batch. */
  recorded(batch: readonly PositionedTransaction[]): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const tx of batch) oldest = Math.min(oldest, tx.eventTimeMs);
    this.oldest.push(oldest);
    if (this.oldest.length > this.depth) this.oldest.shift();
  }
}
