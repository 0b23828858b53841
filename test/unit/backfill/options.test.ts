import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackfillOptionError } from '../../../src/backfill/errors.js';
import { parseTimeOption } from '../../../src/backfill/options.js';

describe('parseTimeOption', () => {
  it('reads epoch milliseconds, a date (midnight UTC) or a date-time with a zone', () => {
    assert.equal(parseTimeOption('1704067200000', '--from'), 1704067200000);
    assert.equal(parseTimeOption(' 2024-02-29 ', '--from'), Date.UTC(2024, 1, 29));
    assert.equal(parseTimeOption('2024-03-01T01:00:00+01:00', '--to'), Date.UTC(2024, 2, 1));
  });

  it('refuses a date that does not exist, naming the option and the fix, rather than rolling it over', () => {
    const refused = (value: string, option: string, message: string) =>
      assert.throws(
        () => parseTimeOption(value, option),
        (error: unknown) =>
          error instanceof BackfillOptionError && error.option === option && error.message === message,
      );
    refused(
      '2023-02-29',
      '--from',
      '--from: "2023-02-29" is not on the calendar: February 2023 has no day 29 (it has 28); write a date and time that exist',
    );
    refused(
      '2024-02-30T10:00:00Z',
      '--to',
      '--to: "2024-02-30T10:00:00Z" is not on the calendar: February 2024 has no day 30 (it has 29); write a date and time that exist',
    );
    refused(
      '2024-06-30T24:00:00Z',
      '--label-as-of',
      '--label-as-of: "2024-06-30T24:00:00Z" is not on the calendar: there is no hour 24 (00..23; midnight is 00:00 of the next day); write a date and time that exist',
    );
    assert.throws(() => parseTimeOption('2024-01-01T00:00:00', '--from'), /expected epoch milliseconds or ISO-8601/);
  });
});
