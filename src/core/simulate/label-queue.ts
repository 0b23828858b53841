/**
 * Labels waiting for their reported_at, smallest first (ties by transaction number, so the order is total and
 * deterministic). Kept in flat typed arrays rather than one object per label: with a 7-day delay the queue holds a
 * week of traffic, which at 10 M events a run is over a million entries.
 */
export interface QueuedLabel {
  readonly reportedAtMs: number;
  /** Number of the transaction in the run (its id is derived from it). */
  readonly transactionNumber: number;
  readonly isFraud: boolean;
}

const INITIAL_CAPACITY = 1_024;

/** Total order of labels: by reported_at, then by transaction number. */
function before(atA: number, txA: number, atB: number, txB: number): boolean {
  return atA < atB || (atA === atB && txA < txB);
}

export class LabelQueue {
  private reportedAt = new Float64Array(INITIAL_CAPACITY);
  private txNumber = new Float64Array(INITIAL_CAPACITY);
  private fraud = new Uint8Array(INITIAL_CAPACITY);
  private length = 0;

  get size(): number {
    return this.length;
  }

  /** reported_at of the next label, or +Infinity when empty (so `peek() <= t` needs no emptiness check). */
  peekReportedAt(): number {
    return this.length === 0 ? Number.POSITIVE_INFINITY : this.reportedAt[0]!;
  }

  push(label: QueuedLabel): void {
    if (this.length === this.reportedAt.length) this.grow();
    let i = this.length++;
    // Sift up: move parents down until the new entry's place is found, then write it once.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(label.reportedAtMs, label.transactionNumber, this.reportedAt[parent]!, this.txNumber[parent]!)) break;
      this.move(parent, i);
      i = parent;
    }
    this.write(i, label.reportedAtMs, label.transactionNumber, label.isFraud ? 1 : 0);
  }

  pop(): QueuedLabel | undefined {
    if (this.length === 0) return undefined;
    const top: QueuedLabel = {
      reportedAtMs: this.reportedAt[0]!,
      transactionNumber: this.txNumber[0]!,
      isFraud: this.fraud[0] === 1,
    };
    const last = --this.length;
    if (last > 0) {
      // Sift down the former last entry from the root: move smaller children up, then write it once.
      const at = this.reportedAt[last]!;
      const tx = this.txNumber[last]!;
      const fr = this.fraud[last]!;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= last) break;
        const right = left + 1;
        const child =
          right < last &&
          before(this.reportedAt[right]!, this.txNumber[right]!, this.reportedAt[left]!, this.txNumber[left]!)
            ? right
            : left;
        if (!before(this.reportedAt[child]!, this.txNumber[child]!, at, tx)) break;
        this.move(child, i);
        i = child;
      }
      this.write(i, at, tx, fr);
    }
    return top;
  }

  private move(from: number, to: number): void {
    this.reportedAt[to] = this.reportedAt[from]!;
    this.txNumber[to] = this.txNumber[from]!;
    this.fraud[to] = this.fraud[from]!;
  }

  private write(i: number, reportedAt: number, txNumber: number, fraud: number): void {
    this.reportedAt[i] = reportedAt;
    this.txNumber[i] = txNumber;
    this.fraud[i] = fraud;
  }

  private grow(): void {
    const capacity = this.reportedAt.length * 2;
    const reportedAt = new Float64Array(capacity);
    reportedAt.set(this.reportedAt);
    const txNumber = new Float64Array(capacity);
    txNumber.set(this.txNumber);
    const fraud = new Uint8Array(capacity);
    fraud.set(this.fraud);
    this.reportedAt = reportedAt;
    this.txNumber = txNumber;
    this.fraud = fraud;
  }
}
