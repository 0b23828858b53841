/**
 * How long the control topic's reader may complete no fetch before its worker says the control state it serves may be
 * stale. The reader fetches every 250 ms when nothing changes, so 30 s is no hiccup; it is also half the kill
 * switch's 60 s, so the operator hears of it while a rollback still has time to reach the other workers.
 */
export const CONTROL_READER_SILENCE_LIMIT_MS = 30_000;

/**
 * Why the worker is not ready because its control reader has gone silent (the control topic deleted, the broker
 * unreachable), or null. It goes on scoring with the control state it last read: stopping would leave the input
 * unscored, while the state it serves was right when last read. Readiness and the alert say that it may no longer be.
 */
export function controlReaderSilence(
  topic: string,
  lastReadAtMs: number,
  nowMs: number,
  limitMs = CONTROL_READER_SILENCE_LIMIT_MS,
): string | null {
  const silentMs = nowMs - lastReadAtMs;
  if (silentMs <= limitMs) return null;
  return (
    `the reader of ${topic} has completed no fetch for ${Math.round(silentMs / 1000)} s (the topic deleted, or the ` +
    'broker unreachable): control changes, the kill switch included, do not reach this worker, which serves the ' +
    'control state it last read'
  );
}
