import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackfillOptionError } from '../../../src/backfill/errors.js';
import { checkOptions, parseTimeOption, type BackfillOptions } from '../../../src/backfill/options.js';

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

describe('checkOptions', () => {
  const base: BackfillOptions = { events: 'events.jsonl', out: 'table.parquet', labelDelayMs: 7 * 86_400_000 };
  const refused = (options: Partial<BackfillOptions>, option: string, message: string) =>
    assert.throws(
      () => checkOptions({ ...base, ...options }),
      (error: unknown) => {
        assert.ok(error instanceof BackfillOptionError, String(error));
        assert.equal(error.option, option);
        assert.equal(error.message, message);
        return true;
      },
    );

  it('names --from and --to when the window is empty or backwards', () => {
    const message = (from: string, to: string) =>
      `--from/--to: --from ${from} is not before --to ${to}, so the window selects nothing (rows are for event ` +
      'times from --from up to, not including, --to); give a --to later than --from';
    refused(
      { fromMs: Date.UTC(2026, 1, 1), toMs: Date.UTC(2026, 0, 1) },
      '--from/--to',
      message('2026-02-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    );
    refused(
      { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 1) },
      '--from/--to',
      message('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    );
    assert.doesNotThrow(() => checkOptions({ ...base, fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 2) }));
  });

  it('refuses an --out whose extension contradicts the table format, naming both flags and both fixes', () => {
    refused(
      { out: 'out/x.csv' },
      '--out',
      '--out out/x.csv: the name says CSV, but the table would be Parquet (--table-format parquet, the default); ' +
        'add --table-format csv, or name the file out/x.parquet',
    );
    refused(
      { out: 'x.PARQUET', tableFormat: 'csv' },
      '--out',
      '--out x.PARQUET: the name says Parquet, but the table would be CSV (--table-format csv); add --table-format ' +
        'parquet, or name the file x.csv',
    );
    for (const [out, tableFormat] of [
      ['x.csv', 'csv'],
      ['x.parquet', 'parquet'],
      ['x.table', 'csv'],
      ['x', undefined],
    ] as const) {
      assert.doesNotThrow(() => checkOptions({ ...base, out, ...(tableFormat ? { tableFormat } : {}) }), out);
    }
  });
});
