import {
  CUSTOMER_FIELD_AMOUNT_MINOR as AMOUNT,
  CUSTOMER_FIELD_EVENT_TIME as TIME,
  CUSTOMER_FIELD_OFFSET as OFFSET,
  CUSTOMER_FIELD_PARTITION as PARTITION,
  CUSTOMER_RECORD_WIDTH as WIDTH,
} from './state-port.js';

/**
 * What a backend keeps beside one customer's records as it appends them, so that the engine need not read every
 * record of the history per batch (CustomerHistory.inOrder, amountsBefore): whether the records are in order (one
 * partition, offsets strictly and event times weakly ascending), and running sums of their amounts.
 *
 * Indexes are those of the backend's record array. A backend that drops records from the front of that array says
 * so (dropFront); one that rewrites the array starts over (reset) and appends again.
 */
export class HistoryFacts {
  /** before[c] − before[b]: the sum of the amounts of records [b, c); one more entry than records. */
  private before: number[] = [0];
  /** The last record c that is out of order with record c − 1 (0: none since the first). */
  private lastBreak = 0;
  /** Sum of |amount| so far: while it is a safe integer, every running sum and difference of two is exact. */
  private magnitude = 0;
  private previousPartition = Number.NaN;
  private previousOffset = Number.NaN;
  private previousTime = Number.NaN;

  /** Takes note of records [from, to) of `records` (WIDTH values each), appended in this order. */
  append(records: ArrayLike<number>, from: number, to: number): void {
    const before = this.before;
    let sum = before[before.length - 1]!;
    for (let r = from; r < to; r++) {
      const at = r * WIDTH;
      const partition = records[at + PARTITION]!;
      const offset = records[at + OFFSET]!;
      const time = records[at + TIME]!;
      const amount = records[at + AMOUNT]!;
      const index = before.length - 1;
      if (
        index > 0 &&
        !(partition === this.previousPartition && offset > this.previousOffset && time >= this.previousTime)
      ) {
        this.lastBreak = index;
      }
      this.previousPartition = partition;
      this.previousOffset = offset;
      this.previousTime = time;
      this.magnitude += Math.abs(amount);
      sum += amount;
      before.push(sum);
    }
  }

  /** The backend removed its first `count` records; indexes shift down by as much. */
  dropFront(count: number): void {
    this.before.splice(0, count);
    this.lastBreak = Math.max(0, this.lastBreak - count);
  }

  /** The backend's array is empty again (or about to be rewritten from the start). */
  reset(): void {
    this.before = [0];
    this.lastBreak = 0;
    this.magnitude = 0;
    this.previousPartition = Number.NaN;
    this.previousOffset = Number.NaN;
    this.previousTime = Number.NaN;
  }

  /** Whether records [start, end) are in order: no record after `start` breaks the order. */
  inOrderFrom(start: number): boolean {
    return this.lastBreak <= start;
  }

  /** Memory held, roughly: one number per record. */
  bytes(): number {
    return this.before.length * 8;
  }

  /** The running sums (before[c], c ≤ the record count; use differences), or undefined once they could be inexact. */
  amountsBefore(): ArrayLike<number> | undefined {
    return this.magnitude <= Number.MAX_SAFE_INTEGER ? this.before : undefined;
  }
}
