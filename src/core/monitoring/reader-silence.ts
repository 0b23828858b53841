/**
 * How long a long-running reader (the worker's control topic reader, the evaluator's) may complete no fetch before its
 * process says it no longer follows its topics. kafkajs fetches every 250-500 ms while a reader works, records or none,
 * so 30 s is no hiccup; for the control reader it is also half the kill switch's 60 s.
 */
export const READER_SILENCE_LIMIT_MS = 30_000;

export interface FollowingReader {
  /** Who reads what, e.g. "the reader of card-payments.control". */
  readonly name: string;
  /** What its silence means for its process. */
  readonly consequence: string;
  readonly lastFetchAtMs: number;
}

/**
 * Why the process is not ready because a reader has gone silent (its topic deleted, the broker unreachable), or
 * null. The process goes on with what it last read: kafkajs keeps trying, and reads on when the topic or the broker
 * is back. Readiness (and, for the control reader, an alert) says meanwhile that what it serves may be stale.
 */
export function readerSilence(
  reader: FollowingReader,
  nowMs: number,
  limitMs = READER_SILENCE_LIMIT_MS,
): string | null {
  const silentMs = nowMs - reader.lastFetchAtMs;
  if (silentMs <= limitMs) return null;
  return (
    `${reader.name} has completed no fetch for ${Math.round(silentMs / 1000)} s (its topic deleted, or the broker ` +
    `unreachable): ${reader.consequence}`
  );
}
