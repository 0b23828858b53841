import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseIsoTime } from '../../../src/backfill/iso-time.js';

const two = (n: number) => String(n).padStart(2, '0');

describe('parseIsoTime', () => {
  it('reads dates and times that exist, in any zone, as Date.parse does', () => {
    assert.deepEqual(parseIsoTime('2024-02-29T10:00:00Z', { dateAlone: false }), { ms: Date.UTC(2024, 1, 29, 10) });
    assert.deepEqual(parseIsoTime('2024-12-31 23:59:59.999+01:00', { dateAlone: false }), {
      ms: Date.UTC(2024, 11, 31, 22, 59, 59, 999),
    });
    assert.deepEqual(parseIsoTime('2000-02-29', { dateAlone: true }), { ms: Date.UTC(2000, 1, 29) });
  });

  it('refuses what Date.parse rolls over, saying what does not exist', () => {
    const cases: [string, RegExp][] = [
      ['2024-02-30T10:00:00Z', /^February 2024 has no day 30 \(it has 29\)$/],
      ['2023-02-29T00:00:00Z', /^February 2023 has no day 29 \(it has 28\)$/],
      ['1900-02-29T00:00:00Z', /^February 1900 has no day 29/],
      ['2024-04-31T12:00:00+02:00', /^April 2024 has no day 31 \(it has 30\)$/],
      ['2024-01-01T24:00:00Z', /^there is no hour 24/],
      ['2024-01-00T00:00:00Z', /^January 2024 has no day 0/],
      ['2024-13-01T00:00:00Z', /^there is no month 13$/],
      ['2024-01-01T10:60:00Z', /^there is no minute 60/],
      ['2024-01-01T10:00:60Z', /^there is no second 60/],
    ];
    for (const [text, problem] of cases) {
      const time = parseIsoTime(text, { dateAlone: false });
      assert.ok(time !== null && 'impossible' in time, text);
      assert.match(time.impossible, problem, text);
    }
    const dateAlone = parseIsoTime('2023-02-29', { dateAlone: true });
    assert.ok(dateAlone !== null && 'impossible' in dateAlone);
  });

  it('is null for other shapes: no zone, a date alone where a time is needed, an offset beyond ±23:59', () => {
    for (const text of ['2024-01-01T10:00:00', '2024-01-01', '2024-01-01T10:00:00+25:00', '1704067200000', 'soon']) {
      assert.equal(parseIsoTime(text, { dateAlone: false }), null, text);
    }
  });

  it('takes exactly the fields that name an instant (oracle: the fields Date.UTC gives back)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 2999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (year, month, day, hour, minute, second) => {
          const text = `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}Z`;
          const ms = Date.UTC(year, month - 1, day, hour, minute, second);
          const back = new Date(ms);
          const exists =
            back.getUTCFullYear() === year &&
            back.getUTCMonth() === month - 1 &&
            back.getUTCDate() === day &&
            back.getUTCHours() === hour &&
            back.getUTCMinutes() === minute &&
            back.getUTCSeconds() === second;
          const time = parseIsoTime(text, { dateAlone: false });
          assert.ok(time !== null, text);
          assert.deepEqual('ms' in time ? time.ms : 'impossible', exists ? ms : 'impossible', text);
        },
      ),
      { numRuns: 5000, seed: 29 },
    );
  });
});
