import { DAY_MS } from './definitions.js';

const HOUR_MS = 3_600_000;
/** 1970-01-01, day 0 of the epoch, was a Thursday (weekday 4 with 0 = Sunday). */
const EPOCH_WEEKDAY = 4;

/**
 * Calendar fields of an epoch-millisecond UTC time by integer arithmetic: no Date object per record (the backfill
 * featurises hundreds of thousands of events per second) and no dependence on the host's time zone.
 */
export function utcWeekday(epochMs: number): number {
  const day = Math.floor(epochMs / DAY_MS);
  return (((day + EPOCH_WEEKDAY) % 7) + 7) % 7;
}

export function utcHour(epochMs: number): number {
  const day = Math.floor(epochMs / DAY_MS);
  return Math.floor((epochMs - day * DAY_MS) / HOUR_MS);
}
