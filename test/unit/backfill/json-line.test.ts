import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { flatJsonReader } from '../../../src/backfill/json-line.js';

const COLUMNS = ['transaction_id', 'event_time', 'amount', 'is_fraud'];
const read = flatJsonReader(COLUMNS);

describe('flat JSON line reader', () => {
  it('gives exactly what JSON.parse gives for any canonical line', () => {
    const value = fc.oneof(
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.tuple(value, value, value, value), fc.dictionary(fc.string(), value), (values, extra) => {
        const record: Record<string, unknown> = {};
        COLUMNS.forEach((column, k) => (record[column] = values[k]));
        for (const [key, item] of Object.entries(extra)) {
          if (!COLUMNS.includes(key) && key !== '__proto__') record[key] = item;
        }
        const line = JSON.stringify(record);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        const out: unknown[] = [];
        if (read(line, out)) {
          accepted++;
          assert.deepEqual(
            out,
            COLUMNS.map((column) => parsed[column]),
            line,
          );
        } else {
          // Only escapes, or integer-like extra keys (which JavaScript orders first), may leave the fast path.
          const reordered = Object.keys(extra).some((key) => /^(0|[1-9]\d*)$/.test(key));
          assert.ok(line.includes('\\') || reordered, `fast path refused a canonical line: ${line}`);
        }
      }),
      { numRuns: 2000 },
    );
    assert.ok(accepted > 500, `the fast path took only ${accepted} of 2000 lines`);
  });

  it('leaves every non-canonical line to JSON.parse', () => {
    const out: unknown[] = [];
    const base = '"transaction_id":"a","event_time":1,"amount":2.5,"is_fraud":true';
    assert.equal(read(`{${base}}`, out), true);
    assert.deepEqual(out, ['a', 1, 2.5, true]);
    for (const line of [
      `{ ${base}}`, // whitespace
      `{${base},"transaction_id":"b"}`, // a repeated column: JSON.parse takes the last one
      `{"event_time":1,"transaction_id":"a","amount":2.5,"is_fraud":true}`, // another order
      `{${base},"nested":{"x":1}}`, // nesting
      `{"transaction_id":"a\\u0041","event_time":1,"amount":2.5,"is_fraud":true}`, // escape
      `{${base.replace('2.5', '02.5')}}`, // not a JSON number
      `{${base}`, // truncated
    ]) {
      assert.equal(read(line, out), false, line);
    }
  });
});
