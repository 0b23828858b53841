import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../../../src/core/scoring/decide.js';

const policy = { blockAt: 0.9, reviewAt: 0.5, fallbackScore: 0.5 };

describe('decide', () => {
  it('maps scores to decisions at the thresholds (inclusive)', () => {
    assert.equal(decide(0.1, policy).decision, 'APPROVE');
    assert.equal(decide(0.5, policy).decision, 'REVIEW');
    assert.equal(decide(0.9, policy).decision, 'BLOCK');
    assert.deepEqual(decide(0.3, policy).reasonCodes, []);
  });

  for (const raw of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(`never publishes ${raw}: the fallback with a reason code instead`, () => {
      const verdict = decide(raw, policy);
      assert.equal(verdict.score, 0.5);
      assert.ok(Number.isFinite(verdict.score));
      assert.deepEqual(verdict.reasonCodes, ['MODEL_OUTPUT_NON_FINITE']);
    });
  }

  it('replaces out-of-range outputs', () => {
    assert.deepEqual(decide(1.5, policy).reasonCodes, ['MODEL_OUTPUT_OUT_OF_RANGE']);
    assert.equal(decide(-0.1, policy).score, 0.5);
  });
});
