import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drill } from '../support/drill/as-test.js';

describe('fault: the worker is SIGKILLed at random moments and restarted with the same instance id', () => {
  it('loses nothing and duplicates nothing for read_committed readers', { timeout: 240_000 }, async () => {
    const report = await drill({ scenarios: ['kill'], kills: 1 });
    assert.equal(report.faults.filter((f) => f.kind === 'kill').length, 1);
    // Replays after a kill must leave the feature state as an uninterrupted run would.
    assert.equal(report.outcome?.customerFeatures.differing, 0);
  });
});
