import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utcHour, utcWeekday } from '../../../../src/core/features/calendar.js';

describe('calendar', () => {
  it('agrees with Date for any millisecond, before and after the epoch', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e12, max: 8.64e12 }), (ms) => {
        const date = new Date(ms);
        assert.equal(utcWeekday(ms), date.getUTCDay());
        assert.equal(utcHour(ms), date.getUTCHours());
      }),
      { numRuns: 5000 },
    );
  });

  it('gets the day and hour boundaries right', () => {
    assert.equal(utcWeekday(Date.UTC(2024, 0, 13, 23, 59, 59, 999)), 6);
    assert.equal(utcWeekday(Date.UTC(2024, 0, 14)), 0);
    assert.equal(utcHour(Date.UTC(2024, 0, 14, 6, 59, 59, 999)), 6);
    assert.equal(utcHour(Date.UTC(2024, 0, 14, 7)), 7);
    assert.equal(utcHour(-1), 23);
    assert.equal(utcWeekday(-1), 3);
  });
});
