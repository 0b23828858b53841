import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drill } from '../support/drill/as-test.js';

describe('fault: Redis dies for longer than a batch window, then restarts (SIGKILL; stack.sh restart redis)', () => {
  it('batches pause and retry with back-off, nothing is lost: lost 0, duplicated 0', { timeout: 240_000 }, async () => {
    // With its append-only file, as production must run it: the feature state survives both faults too.
    const report = await drill({ scenarios: ['redis'], redisAppendOnly: true });
    assert.equal(report.unexpectedExits.length, 0, 'the worker carried on without exiting');
    // Whichever stage first needs Redis (alignment bounds, features) fails and is retried with back-off.
    const retries = Object.values(report.retriesByStage).reduce((sum, n) => sum + n, 0);
    assert.ok(retries > 0, `batches waited for Redis: ${JSON.stringify(report.retriesByStage)}`);
    assert.ok((report.outcome?.features.compared ?? 0) > 0, 'features were compared');
    assert.equal(report.outcome?.features.differing, 0, 'features as an uninterrupted run');
  });
});

describe('fault: Redis restarts empty (no append-only file), and the operator rebuilds the state', () => {
  it(
    'scoring pauses until `fraudscore state rebuild`, then goes on with the features of an uninterrupted run',
    { timeout: 240_000 },
    async () => {
      // What FraudscoreFeatureStateLost pages for and its playbook does: the drill waits for the pause after each
      // empty restart, runs the CLI's rebuild on the topology, and holds every score's features to an uninterrupted run.
      const report = await drill({ scenarios: ['redis'], redisAppendOnly: false });
      const rebuilds = report.checks.filter((check) =>
        /paused scoring until `fraudscore state rebuild`/.test(check.name),
      );
      assert.equal(rebuilds.length, 2, 'one rebuild after each of the two empty restarts');
      assert.ok(
        rebuilds.every((check) => check.ok && /^state rebuilt for /.test(check.detail)),
        JSON.stringify(rebuilds),
      );
      assert.ok((report.outcome?.features.compared ?? 0) > 0, 'features were compared');
      assert.equal(report.outcome?.features.differing, 0, 'features as an uninterrupted run');
    },
  );
});
