/**
 * A brute-force reference of the v1 feature definitions, written straight from docs/features.md and sharing no code
 * with the engine: for each event, scan every event before it. Quadratic, so only for test-sized streams.
 *
 * Assumes what the random streams guarantee: the events array is the log order (a customer's events in one
 * partition), transaction ids are unique, all labels are known up front, and no event is later than the
 * lateness margin.
 */
import type { LabelEvent, PositionedTransaction } from '../../src/core/contract/events.js';

const DAY = 86_400_000;
const WINDOWS = [1, 7, 30];

export function oracleRows(
  events: readonly PositionedTransaction[],
  labels: readonly LabelEvent[],
  labelDelayMs: number,
): number[][] {
  const fraudReportedAt = new Map<string, number>();
  for (const label of labels) {
    if (label.isFraud) {
      const known = fraudReportedAt.get(label.transactionId);
      fraudReportedAt.set(label.transactionId, Math.min(known ?? Infinity, label.reportedAtMs));
    }
  }
  return events.map((tx, i) => {
    const t = tx.eventTimeMs;
    const date = new Date(t);
    const row = [
      tx.amountMinor / 100,
      date.getUTCDay() === 0 || date.getUTCDay() === 6 ? 1 : 0,
      date.getUTCHours() <= 6 ? 1 : 0,
    ];
    for (const days of WINDOWS) {
      let count = 0;
      let sum = 0;
      for (let j = 0; j <= i; j++) {
        const other = events[j]!;
        if (other.customerId === tx.customerId && other.eventTimeMs > t - days * DAY && other.eventTimeMs <= t) {
          count++;
          sum += other.amountMinor;
        }
      }
      row.push(count, sum / count / 100);
    }
    for (const days of WINDOWS) {
      const end = t - labelDelayMs;
      let count = 0;
      let fraud = 0;
      for (let j = 0; j < i; j++) {
        const other = events[j]!;
        if (other.terminalId === tx.terminalId && other.eventTimeMs > end - days * DAY && other.eventTimeMs <= end) {
          count++;
          const reportedAt = fraudReportedAt.get(other.transactionId);
          if (reportedAt !== undefined && reportedAt <= t) {
            fraud++;
          }
        }
      }
      row.push(count, count > 0 ? fraud / count : 0);
    }
    return row;
  });
}
