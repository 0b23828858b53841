import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_ROLLOUT_STEP_MS, stepProblem } from '../../../../src/core/control/index.js';

describe('stepProblem', () => {
  it('accepts a minute or more, refuses less, a fraction of a millisecond or not a number', () => {
    assert.equal(MIN_ROLLOUT_STEP_MS, 60_000);
    for (const ok of [60_000, 1_800_000]) assert.equal(stepProblem(ok), null, String(ok));
    for (const bad of [0, -1, 59_999, 60_000.5, Number.NaN]) assert.notEqual(stepProblem(bad), null, String(bad));
  });
});
