import type { PositionedTransaction } from '../contract/events.js';
import type { FraudReport } from './state-port.js';

/** Terminal windows k: event times in (t − delay[k] − length[k], t − delay[k]]. */
export interface TerminalWindows {
  readonly lengthMs: Float64Array;
  readonly delayMs: Float64Array;
}

/**
 * Terminal windows of one terminal's batch records.
 *
 * `storedCounts[firstRange + j * K + k]` is what the state answered for member j and window k after the whole batch was
 * recorded. Records of this batch that come after `index` in log order do not precede it, so they are taken out
 * again: then the result does not depend on where batch boundaries fall, and a replay (whose records are already
 * stored) gives the same numbers. Only the first occurrence of a transaction id is stored, so only it is taken out.
 *
 * A fraud report counts for record r and window k when its transaction is in the window (and precedes r) and it was
 * reported at or before r's event time.
 *
 * Writes outCounts[index * K + k] and outFraud[index * K + k].
 */
export function computeTerminalWindows(
  batch: readonly PositionedTransaction[],
  members: readonly number[],
  firstOccurrence: Uint8Array,
  windows: TerminalWindows,
  storedCounts: Float64Array,
  firstRange: number,
  fraud: readonly FraudReport[],
  outCounts: Float64Array,
  outFraud: Float64Array,
): void {
  const windowCount = windows.lengthMs.length;
  let shortestDelay = Infinity;
  for (let k = 0; k < windowCount; k++) {
    shortestDelay = Math.min(shortestDelay, windows.delayMs[k]!);
  }
  // laterMin[j]: the earliest event time among stored batch records after members[j]. A later record can only fall
  // into a window of an earlier one if it is at least the shortest delay older, which is rare (a very late event):
  // this keeps the common case linear in the group size. Most groups have one member: no array for them.
  let laterMin: Float64Array | null = null;
  if (members.length > 1) {
    laterMin = new Float64Array(members.length);
    let running = Infinity;
    for (let j = members.length - 1; j >= 0; j--) {
      laterMin[j] = running;
      const index = members[j]!;
      if (firstOccurrence[index] === 1) {
        running = Math.min(running, batch[index]!.eventTimeMs);
      }
    }
  }

  for (let j = 0; j < members.length; j++) {
    const index = members[j]!;
    const t = batch[index]!.eventTimeMs;
    const base = index * windowCount;
    const stored = firstRange + j * windowCount;
    for (let k = 0; k < windowCount; k++) {
      outCounts[base + k] = storedCounts[stored + k]!;
      outFraud[base + k] = 0;
    }
    if (laterMin !== null && laterMin[j]! <= t - shortestDelay) {
      for (let later = j + 1; later < members.length; later++) {
        const other = members[later]!;
        if (firstOccurrence[other] !== 1) {
          continue;
        }
        const time = batch[other]!.eventTimeMs;
        for (let k = 0; k < windowCount; k++) {
          const to = t - windows.delayMs[k]!;
          if (time > to - windows.lengthMs[k]! && time <= to) {
            outCounts[base + k] = outCounts[base + k]! - 1;
          }
        }
      }
    }
  }

  if (fraud.length === 0) {
    return;
  }
  const batchPosition = members.length > 1 ? firstIndexById(batch, members, firstOccurrence) : null;
  for (const index of members) {
    const t = batch[index]!.eventTimeMs;
    const base = index * windowCount;
    for (const report of fraud) {
      if (report.reportedAtMs > t) {
        continue;
      }
      if (batchPosition !== null) {
        const position = batchPosition.get(report.transactionId);
        if (position !== undefined && position > index) {
          continue;
        }
      }
      const time = report.eventTimeMs;
      for (let k = 0; k < windowCount; k++) {
        const to = t - windows.delayMs[k]!;
        if (time > to - windows.lengthMs[k]! && time <= to) {
          outFraud[base + k] = outFraud[base + k]! + 1;
        }
      }
    }
  }
}

function firstIndexById(
  batch: readonly PositionedTransaction[],
  members: readonly number[],
  firstOccurrence: Uint8Array,
): Map<string, number> {
  const byId = new Map<string, number>();
  for (const index of members) {
    if (firstOccurrence[index] === 1) {
      byId.set(batch[index]!.transactionId, index);
    }
  }
  return byId;
}
