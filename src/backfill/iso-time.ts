/**
 * ISO-8601 times as the backfill takes them (input fields and --from/--to/--label-as-of), read strictly. Date.parse
 * alone rolls an impossible date over without a word (2024-02-30 becomes 2024-03-01, 24:00 the next day's 00:00),
 * which would move a record or a cutoff silently; here such a text is refused, with what is wrong.
 */

/**
 * A date, then optionally a time with an explicit zone (Z or ±hh:mm): a zone-less time would depend on the host's
 * time zone. Whether a date alone is accepted is the caller's choice.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?))?$/i;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch milliseconds; or why the text, ISO-8601 in shape, names no instant; or null when it is not of the shape. */
export type IsoTime = { readonly ms: number } | { readonly impossible: string } | null;

/** `dateAlone`: whether a date without a time is accepted (it means its midnight UTC). */
export function parseIsoTime(text: string, { dateAlone }: { readonly dateAlone: boolean }): IsoTime {
  const match = ISO_8601.exec(text);
  if (match === null) return null;
  const hasTime = match[4] !== undefined;
  if (!hasTime && !dateAlone) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((group) => Number(match[group] ?? 0));
  const impossible = impossibility(year!, month!, day!, hour!, minute!, second!);
  if (impossible !== null) return { impossible };
  // The fields are on the calendar, so Date.parse reads them as written; it still refuses an offset beyond ±23:59.
  const ms = Date.parse(hasTime ? text : `${text}T00:00:00Z`);
  return Number.isFinite(ms) ? { ms } : null;
}

function impossibility(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): string | null {
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const days = daysIn(year, month);
  if (day < 1 || day > days) return `${MONTHS[month - 1]} ${year} has no day ${day} (it has ${days})`;
  if (hour > 23) return `there is no hour ${hour} (00..23; midnight is 00:00 of the next day)`;
  if (minute > 59) return `there is no minute ${minute} (00..59)`;
  if (second > 59) return `there is no second ${second} (00..59)`;
  return null;
}
