import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drill } from '../support/drill/as-test.js';

describe('fault: the worker is SIGKILLed at random moments and restarted with the same instance id', () => {
  it('loses nothing and duplicates nothing for read_committed readers', { timeout: 900_000 }, async () => {
    // Each kill costs a restart (start-up, group join): ~10 s on a quiet 2-core machine, twice that when loaded.
    // Each fault takes a chunk (at least 100 records) plus up to two chunks of trickle: 10 faults need 3,000+.
    const report = await drill({ scenarios: ['kill'], kills: 10, events: 3_500, timeLimitMs: 840_000 });
    assert.equal(report.faults.filter((f) => f.kind === 'kill').length, 10);
    assert.equal(report.outcome?.lost, 0, 'lost');
    assert.equal(report.outcome?.duplicated, 0, 'duplicated');
    // Replays after the kills must leave the feature state as an uninterrupted run would: customer and terminal.
    assert.ok((report.outcome?.features.compared ?? 0) > 1000, `compared ${report.outcome?.features.compared}`);
    assert.equal(report.outcome?.features.differing, 0, report.outcome?.features.examples.join('; '));
  });
});
