import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drill } from '../support/drill/as-test.js';

describe('fault: no heartbeat answered for longer than the lease while event-time alignment holds records back', () => {
  it(
    'the worker gives back what it holds without a rebalance, and every held record is read again: lost 0, duplicated 0',
    { timeout: 300_000 },
    async () => {
      // The held records lie past partition 0's horizon (its newest event + label delay − lateness): enough events that
      // the feed reaches that far after the first chunk.
      const report = await drill({ scenarios: ['starve'], events: 3_000 });
      assert.deepEqual(
        report.faults.map((f) => f.kind),
        ['starved give-back'],
      );
      assert.equal(report.unexpectedExits.length, 0, 'the worker carried on without exiting');
      const check = report.checks.find((c) => c.name.startsWith('a give-back while alignment held records back'));
      assert.ok(check?.ok, check?.detail ?? 'the give-back check ran');
      assert.equal(report.outcome?.lost, 0, 'lost');
      assert.equal(report.outcome?.duplicated, 0, 'duplicated');
      assert.ok((report.outcome?.features.compared ?? 0) > 0, 'features were compared');
      assert.equal(report.outcome?.features.differing, 0, report.outcome?.features.examples.join('; '));
    },
  );
});
