import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSummary, summariseValue } from '../../../../src/core/models/value-summary.js';
import { sha256 } from './card-fixture.js';

describe('value summary', () => {
  it('describes an array by its length, the kind of its items and a hash of its content', () => {
    const sample = Array.from({ length: 5000 }, (_, i) => i / 5000);
    const summary = summariseValue(sample);
    assert.deepEqual(summary, {
      kind: 'array',
      size: 5000,
      items: 'numbers',
      sha256: sha256(JSON.stringify(sample)),
    });
    assert.equal(describeSummary(summary), `array of 5000 numbers, sha256 ${summary.sha256.slice(0, 12)}`);
  });

  it('names one item in the singular and mixed items as values', () => {
    assert.match(describeSummary(summariseValue([{ file: 'labels.jsonl' }])), /^array of 1 object, sha256 /);
    assert.match(describeSummary(summariseValue([1, 'two', null])), /^array of 3 values, sha256 /);
  });

  it('describes an object by its field count', () => {
    assert.match(
      describeSummary(summariseValue({ trees: 150, leaves: 31 })),
      /^object with 2 fields, sha256 [0-9a-f]{12}$/,
    );
  });

  it('hashes content, not key order: the same leaderboard written in another key order is the same value', () => {
    const one = summariseValue([{ trees: 150, averagePrecision: 0.7 }]);
    const other = summariseValue([{ averagePrecision: 0.7, trees: 150 }]);
    assert.equal(one.sha256, other.sha256);
    assert.notEqual(one.sha256, summariseValue([{ trees: 150, averagePrecision: 0.71 }]).sha256);
  });
});
