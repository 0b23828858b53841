import type { PositionedTransaction } from '../contract/events.js';
import {
  CUSTOMER_FIELD_AMOUNT_MINOR as AMOUNT,
  CUSTOMER_FIELD_EVENT_TIME as TIME,
  CUSTOMER_FIELD_OFFSET as OFFSET,
  CUSTOMER_FIELD_PARTITION as PARTITION,
  CUSTOMER_RECORD_WIDTH as WIDTH,
  type CustomerHistory,
} from './state-port.js';
import { firstAbove } from './ordered-search.js';

/**
 * Customer windows of one customer's batch records, from the customer's history as read after the batch was
 * recorded (so the history holds the batch's own records, possibly twice after a replay).
 *
 * A history record c counts for a batch record r when its event time is in (t − w, t] and it precedes r (or is r)
 * in log order:
 *  - same partition: c.offset ≤ r.offset (records at later offsets, even if a replay already wrote them, never count);
 *  - another partition: c counts unless it is one of this batch's records that comes after r in the batch.
 * This makes the result independent of batch boundaries and identical on replay. A stored record is counted once
 * however often it was appended: records are the same when position, event time and amount all match (the position
 * alone is not an identity: a topic deleted and created again restarts its offsets, and a new record at an old
 * position is another transaction).
 *
 * Trimming: whatever a backend still holds, a record r never counts a history record older than
 * (the newest event time among the records that precede r, r included) − the longest window − the lateness margin.
 * Every trim cutoff the engine hands a backend is at or below that bound, so a backend that trims later (Redis trims
 * lazily) or not at all reads exactly what one that trims on every write reads. It only cuts the windows of a record
 * later than the margin; an on-time record's windows start above it.
 *
 * Output: out[(batchIndex * windowCount + k) * 2] is the count and [... + 1] the sum of amounts (minor units) for
 * window k. Integer sums below 2^53 are exact in any order, so means agree bit for bit across backends.
 */
export function accumulateCustomerWindows(
  history: CustomerHistory,
  batch: readonly PositionedTransaction[],
  members: readonly number[],
  windowLengthsMs: Float64Array,
  latenessMarginMs: number,
  out: Float64Array,
): void {
  const { records, start, end } = history;
  const windowCount = windowLengthsMs.length;
  let longest = 0;
  for (let k = 0; k < windowCount; k++) {
    longest = Math.max(longest, windowLengthsMs[k]!);
  }
  // The common case, checked in the same pass that finds the newest event time, without allocating: the customer's
  // history and batch records are all on one partition with strictly increasing offsets (no replay since the last
  // trim), so nothing needs deduplicating.
  const partition0 = batch[members[0]!]!.position.partition;
  let singlePartition = true;
  for (const index of members) {
    if (batch[index]!.position.partition !== partition0) singlePartition = false;
  }
  // The backend may know the order already: then the pass below is not needed.
  if (
    history.inOrder === true &&
    singlePartition &&
    (end === start || records[start * WIDTH + PARTITION] === partition0)
  ) {
    accumulateInOrder(history, batch, members, windowLengthsMs, out);
    return;
  }
  let increasing = true;
  let lastOffset = -Infinity;
  let newest = -Infinity;
  let timesAscending = true;
  for (let c = start; c < end; c++) {
    const at = c * WIDTH;
    const time = records[at + TIME]!;
    if (time < newest) timesAscending = false;
    if (time > newest) newest = time;
    if (records[at + PARTITION] !== partition0) {
      singlePartition = false;
    } else {
      const offset = records[at + OFFSET]!;
      if (offset <= lastOffset) increasing = false;
      lastOffset = offset;
    }
  }
  if (singlePartition && increasing && timesAscending) {
    accumulateInOrder(history, batch, members, windowLengthsMs, out);
    return;
  }
  const keep = singlePartition && increasing ? null : duplicateMask(records, start, end);

  for (const index of members) {
    const tx = batch[index]!;
    const t = tx.eventTimeMs;
    const lowest = t - longest;
    const partition = tx.position.partition;
    const offset = tx.position.offset;
    const base = index * windowCount * 2;
    // The trim bound (above) is below the windows unless r is later than the margin behind the newest record.
    const bound =
      newest - latenessMarginMs <= t
        ? -Infinity
        : newestPreceding(records, start, end, keep, singlePartition, tx, index, batch, members) -
          longest -
          latenessMarginMs;
    for (let c = start; c < end; c++) {
      const at = c * WIDTH;
      const time = records[at + TIME]!;
      if (time > t || time <= lowest || time < bound) {
        continue;
      }
      if (keep !== null && keep[c - start] === 0) {
        continue;
      }
      const cPartition = records[at + PARTITION]!;
      const cOffset = records[at + OFFSET]!;
      if (singlePartition || cPartition === partition) {
        if (cOffset > offset) {
          continue;
        }
      } else if (!precedesAcrossPartitions(cPartition, cOffset, index, batch, members)) {
        continue;
      }
      const amount = records[at + AMOUNT]!;
      for (let k = 0; k < windowCount; k++) {
        if (time > t - windowLengthsMs[k]!) {
          const slot = base + k * 2;
          out[slot] = out[slot]! + 1;
          out[slot + 1] = out[slot + 1]! + amount;
        }
      }
    }
  }
}

/**
 * accumulateCustomerWindows for the usual history: one partition, offsets and event times both ascending (no replay,
 * no late event since the last trim). The records that precede r are then a prefix of the history, and those of a
 * window a range of it, found by binary search: the same counts and sums without visiting every record per member.
 * (The trim bound is r's own event time less the longest window and the margin here, below every window.)
 */
function accumulateInOrder(
  history: CustomerHistory,
  batch: readonly PositionedTransaction[],
  members: readonly number[],
  windowLengthsMs: Float64Array,
  out: Float64Array,
): void {
  const { records, start, end, amountsBefore } = history;
  const windowCount = windowLengthsMs.length;
  for (const index of members) {
    const tx = batch[index]!;
    const t = tx.eventTimeMs;
    // Records at offsets up to r's, and of those (a prefix, times ascending) the ones at or before t.
    const preceding = firstAbove(records, start, end, tx.position.offset, WIDTH, OFFSET);
    const until = firstAbove(records, start, preceding, t, WIDTH, TIME);
    const base = index * windowCount * 2;
    for (let k = 0; k < windowCount; k++) {
      const from = firstAbove(records, start, until, t - windowLengthsMs[k]!, WIDTH, TIME);
      let sum = 0;
      if (amountsBefore !== undefined) {
        sum = amountsBefore[until]! - amountsBefore[from]!;
      } else {
        for (let c = from; c < until; c++) sum += records[c * WIDTH + AMOUNT]!;
      }
      const slot = base + k * 2;
      out[slot] = out[slot]! + (until - from);
      out[slot + 1] = out[slot + 1]! + sum;
    }
  }
}

/** Whether history record c precedes batch record r (or is r) in log order; see accumulateCustomerWindows. */
function precedes(
  records: ArrayLike<number>,
  c: number,
  singlePartition: boolean,
  tx: PositionedTransaction,
  index: number,
  batch: readonly PositionedTransaction[],
  members: readonly number[],
): boolean {
  const cPartition = records[c * WIDTH + PARTITION]!;
  const cOffset = records[c * WIDTH + OFFSET]!;
  if (singlePartition || cPartition === tx.position.partition) return cOffset <= tx.position.offset;
  return precedesAcrossPartitions(cPartition, cOffset, index, batch, members);
}

/** The newest event time among the history records that precede r (r itself is one of them). */
function newestPreceding(
  records: ArrayLike<number>,
  start: number,
  end: number,
  keep: Uint8Array | null,
  singlePartition: boolean,
  tx: PositionedTransaction,
  index: number,
  batch: readonly PositionedTransaction[],
  members: readonly number[],
): number {
  let newest = tx.eventTimeMs;
  for (let c = start; c < end; c++) {
    if (keep !== null && keep[c - start] === 0) continue;
    const time = records[c * WIDTH + TIME]!;
    if (time > newest && precedes(records, c, singlePartition, tx, index, batch, members)) newest = time;
  }
  return newest;
}

/**
 * Null when every position occurs once (the common case: offsets grow per partition in append order); otherwise a
 * mask keeping the first occurrence of each record (position, event time and amount). Repeats come from replayed
 * batches, which append again.
 */
function duplicateMask(records: ArrayLike<number>, start: number, end: number): Uint8Array | null {
  // Fast path for the usual one or two partitions per customer: strictly increasing offsets mean no duplicates.
  const partitions: number[] = [];
  const lastOffsets: number[] = [];
  let monotonic = true;
  for (let c = start; c < end && monotonic; c++) {
    const partition = records[c * WIDTH + PARTITION]!;
    const offset = records[c * WIDTH + OFFSET]!;
    const slot = partitions.indexOf(partition);
    if (slot === -1) {
      partitions.push(partition);
      lastOffsets.push(offset);
    } else if (offset > lastOffsets[slot]!) {
      lastOffsets[slot] = offset;
    } else {
      monotonic = false;
    }
  }
  if (monotonic) {
    return null;
  }
  const keep = new Uint8Array(end - start);
  const seen = new Set<string>();
  for (let c = start; c < end; c++) {
    const at = c * WIDTH;
    const identity = `${records[at + PARTITION]!}:${records[at + OFFSET]!}:${records[at + TIME]!}:${records[at + AMOUNT]!}`;
    if (!seen.has(identity)) {
      seen.add(identity);
      keep[c - start] = 1;
    }
  }
  return keep;
}

/** A record of another partition precedes r unless it is a record of this batch placed after r. */
function precedesAcrossPartitions(
  partition: number,
  offset: number,
  index: number,
  batch: readonly PositionedTransaction[],
  members: readonly number[],
): boolean {
  for (const member of members) {
    const position = batch[member]!.position;
    if (position.partition === partition && position.offset === offset) {
      return member <= index;
    }
  }
  return true;
}
