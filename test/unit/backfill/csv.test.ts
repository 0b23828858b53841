import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { csvField, splitCsvLine } from '../../../src/backfill/csv.js';

describe('csv', () => {
  it('splits plain and quoted fields', () => {
    assert.deepEqual(splitCsvLine('a,b,,c'), ['a', 'b', '', 'c']);
    assert.deepEqual(splitCsvLine('"a,1","say ""hi""",x'), ['a,1', 'say "hi"', 'x']);
    assert.deepEqual(splitCsvLine('"",b'), ['', 'b']);
    assert.deepEqual(splitCsvLine('a,"b"'), ['a', 'b']);
  });

  it('reports an unterminated quote instead of guessing', () => {
    assert.equal(splitCsvLine('a,"b,c'), null);
  });

  it('quotes only what needs it, and reads back what it wrote', () => {
    assert.equal(csvField('tx-1'), 'tx-1');
    assert.equal(csvField('a,b'), '"a,b"');
    fc.assert(
      fc.property(
        fc.array(
          fc.string().filter((s) => !/[\r\n]/.test(s)),
          { minLength: 1, maxLength: 5 },
        ),
        (fields) => {
          assert.deepEqual(splitCsvLine(fields.map(csvField).join(',')), fields);
        },
      ),
    );
  });
});
