/**
 * The oldest event time among records this member recorded in the feature state and may featurise again: no later
 * batch's trim may cut below their windows (score-batch's replayableFromMs), or their second reading would count fewer
 * events than their first, and than the backfill.
 *
 * A batch counts from its scoring until its commit ends. One whose commit ended without it (its records given back,
 * sought and read again by this member) goes on counting until this member has committed past every one of its
 * records: only then were all of them featurised again. A rejoin forgets those: the partitions' next owner reads them
 * again from the committed offsets, and its own batches keep their windows (FeatureEngine.featurize); a floor kept for
 * a partition this member lost would hold every trim back for ever.
 */
export class ReplayFloor {
  /** Batches scored whose commit has not ended, by id. */
  private readonly uncommitted = new Map<string, { oldestMs: number; generation: number }>();
  /** Batches not committed, until this member's first uncommitted offset passed each of their partitions' `next`. */
  private notCommitted: { oldestMs: number; next: Map<string, bigint> }[] = [];
  private generation = 0;

  /** The floor for the next batch's trims (Infinity: none). */
  floorMs(): number {
    let floor = Number.POSITIVE_INFINITY;
    for (const { oldestMs } of this.uncommitted.values()) floor = Math.min(floor, oldestMs);
    for (const { oldestMs } of this.notCommitted) floor = Math.min(floor, oldestMs);
    return floor;
  }

  /** A batch was scored: its records are in the feature state. */
  recorded(batchId: string, oldestMs: number): void {
    this.uncommitted.set(batchId, { oldestMs, generation: this.generation });
  }

  /**
   * A batch's commit ended. Not committed, its records are read again: `offsets` (per topic and partition, the next
   * offset after the batch's records) says when they all were committed since.
   */
  ended(batchId: string, committed: boolean, offsets: ReadonlyMap<string, ReadonlyMap<number, string>>): void {
    const batch = this.uncommitted.get(batchId);
    this.uncommitted.delete(batchId);
    if (committed || batch === undefined || batch.generation !== this.generation) return;
    const next = new Map<string, bigint>();
    for (const [topic, partitions] of offsets) {
      for (const [partition, offset] of partitions) next.set(`${topic}:${partition}`, BigInt(offset));
    }
    this.notCommitted.push({ oldestMs: batch.oldestMs, next });
  }

  /** This member's first uncommitted offsets after a commit: batches not committed whose records all are, count no more. */
  committedUpTo(firstUncommitted: ReadonlyMap<string, bigint>): void {
    this.notCommitted = this.notCommitted.filter(({ next }) =>
      [...next].some(([key, offset]) => (firstUncommitted.get(key) ?? -1n) < offset),
    );
  }

  /** The group rebalanced: records not committed are read again from the committed offsets, by whoever owns them. */
  rejoined(): void {
    this.generation++;
    this.notCommitted = [];
  }
}
