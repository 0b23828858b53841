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
      // Short decimals, the shape of amounts: the reader divides their digits by a power of ten.
      fc
        .tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 8 }))
        .map(([digits, places]) => digits / 10 ** places),
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

  it('reads every JSON number as JSON.parse does, at the edges of the exact fast path', () => {
    const out: unknown[] = [];
    for (const number of [
      '0',
      '-0',
      '-0.0',
      '0.1',
      '9.48',
      '-57.16',
      '1767571215262',
      '999999999999999',
      '9999999999999999',
      '9007199254740993',
      '123456789012345.6',
      '0.000000000000001',
      '0.0000000000000001',
      '1e5',
      '1E-2',
      '-2.5e+3',
      '1.7976931348623157e308',
      '5e-324',
    ]) {
      const line = `{"transaction_id":"a","event_time":${number},"amount":${number},"is_fraud":false}`;
      assert.equal(read(line, out), true, line);
      const expected = JSON.parse(number) as number;
      assert.ok(Object.is(out[1], expected) && Object.is(out[2], expected), `${number}: ${String(out[1])}`);
    }
  });

  it('reads any number text as JSON.parse does, trailing zeros, long fractions and exponents included', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((list) => list.join(''));
    const numberText = fc
      .record({
        sign: fc.constantFrom('', '-'),
        whole: fc.oneof(
          fc.constant('0'),
          fc.tuple(fc.integer({ min: 1, max: 9 }), digits(0, 18)).map(([a, b]) => `${a}${b}`),
        ),
        fraction: fc.oneof(
          fc.constant(''),
          digits(1, 20).map((text) => `.${text}`),
        ),
        exponent: fc.oneof(
          { weight: 3, arbitrary: fc.constant('') },
          {
            weight: 1,
            arbitrary: fc
              .tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3))
              .map((parts) => parts.join('')),
          },
        ),
      })
      .map(({ sign, whole, fraction, exponent }) => `${sign}${whole}${fraction}${exponent}`);
    const out: unknown[] = [];
    fc.assert(
      fc.property(numberText, (number) => {
        const line = `{"transaction_id":"a","event_time":${number},"amount":1,"is_fraud":false,"x":${number}}`;
        assert.equal(read(line, out), true, line);
        assert.ok(Object.is(out[1], JSON.parse(number)), `${number}: ${String(out[1])}`);
      }),
      { numRuns: 5000 },
    );
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
      `{${base}} `, // trailing space
      `{${base.replace('2.5', '2.')}}`, // a fraction without digits
      `{${base.replace('2.5', '-')}}`, // a sign without digits
      `{${base.replace('2.5', '1e')}}`, // an exponent without digits
      `{${base.replace('true', 'tru')}}`, // not a literal
      `{${base},"x":}`, // another field without a value
      `{${base},"amount_x":1,"amount":3}`, // a repeated column after another field
      `{"transaction_id":"a\tb","event_time":1,"amount":2.5,"is_fraud":true}`, // a raw control character (TAB)
    ]) {
      assert.equal(read(line, out), false, line);
    }
  });
});
