import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareWithExpectation,
  isMismatch,
  MISMATCH_Z,
  offlineStandardError,
} from '../../../../src/core/monitoring/expectations.js';

// card-fraud@5's held-out AUC (registry/card-fraud/5/card.json): its SE is the 95 % interval's width / (2 × 1.96).
const card = { value: 0.936159, lower: 0.919536, upper: 0.953548 };
const offline = (0.953548 - 0.919536) / 3.92; // 0.008677

describe('offline-online comparison', () => {
  it("reads the held-out figure's standard error from the card's 95 % interval", () => {
    assert.ok(Math.abs(offlineStandardError(card) - offline) <= 1e-15);
    // The three metrics of a model at 5 % together: each two-sided at 5 % / 3.
    assert.ok(Math.abs(MISMATCH_Z - 2.39398) <= 5e-4);
  });

  it("is no mismatch when the live figure is outside the card's interval but within the combined sampling error", () => {
    // 0.915 is below the interval (0.9195); the live AUC's own SE 0.012: z = -0.021159 / 0.014808 = -1.43.
    const c = compareWithExpectation('auc', { value: 0.915, standardError: 0.012 }, card);
    assert.equal(c.status, 'within');
    assert.equal(isMismatch(c), false);
    assert.ok('z' in c && Math.abs(c.z - (0.915 - 0.936159) / Math.hypot(offline, 0.012)) <= 1e-12);
    assert.ok('z' in c && Math.abs(c.z - -1.4289) <= 1e-4);
  });

  it('is a mismatch, below or above, when the difference exceeds 2.394 combined standard errors', () => {
    // The demo's last week: 0.895 with SE 0.004: z = -0.041159 / 0.009554 = -4.308.
    const below = compareWithExpectation('auc', { value: 0.895, standardError: 0.004 }, card);
    assert.equal(below.status, 'below');
    assert.ok(isMismatch(below));
    assert.ok('z' in below && Math.abs(below.z - -4.308) <= 1e-4);
    const above = compareWithExpectation('auc', { value: 0.98, standardError: 0.004 }, card);
    assert.equal(above.status, 'above');
  });

  it('draws the line at 2.394, not at the single-test 1.96: z -2.2 is within, z 2.5 a mismatch', () => {
    const combined = Math.hypot(offline, 0.005); // 0.010015
    const near = compareWithExpectation('auc', { value: card.value - 2.2 * combined, standardError: 0.005 }, card);
    assert.ok('z' in near && Math.abs(near.z - -2.2) <= 1e-9);
    assert.equal(near.status, 'within');
    const beyond = compareWithExpectation('auc', { value: card.value + 2.5 * combined, standardError: 0.005 }, card);
    assert.ok('z' in beyond && Math.abs(beyond.z - 2.5) <= 1e-9);
    assert.equal(beyond.status, 'above');
  });

  it("weighs the live figure's own error: the same difference is noise in a small sample, a mismatch in a large one", () => {
    const difference = 0.03; // outside the interval either way
    const small = compareWithExpectation('auc', { value: card.value - difference, standardError: 0.02 }, card);
    const large = compareWithExpectation('auc', { value: card.value - difference, standardError: 0.005 }, card);
    // 2.394 × hypot(0.008677, 0.02) = 0.0522 > 0.03; 2.394 × hypot(0.008677, 0.005) = 0.0240 < 0.03.
    assert.equal(small.status, 'within');
    assert.equal(large.status, 'below');
  });

  it('needs a live figure and its error; a card without an interval gets its point estimate shown', () => {
    const noError = compareWithExpectation('auc', { value: 0.9, standardError: Number.NaN }, card);
    assert.deepEqual(noError, { metric: 'auc', status: 'insufficient-data' });
    const noFigure = compareWithExpectation('auc', { value: Number.NaN, standardError: 0.01 }, card);
    assert.equal(noFigure.status, 'insufficient-data');
    assert.deepEqual(compareWithExpectation('auc', { value: 0.9, standardError: 0.01 }, undefined, 0.93), {
      metric: 'auc',
      status: 'no-expectation',
      live: 0.9,
      cardValue: 0.93,
    });
  });

  it('with no sampling error on either side (a zero-width interval, a perfect live ranking) any difference counts', () => {
    const exact = { value: 1, lower: 1, upper: 1 };
    assert.equal(compareWithExpectation('auc', { value: 1, standardError: 0 }, exact).status, 'within');
    const off = compareWithExpectation('auc', { value: 0.99, standardError: 0 }, exact);
    assert.equal(off.status, 'below');
    assert.ok('z' in off && off.z === Number.NEGATIVE_INFINITY);
  });
});
