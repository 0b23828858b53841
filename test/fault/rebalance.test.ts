import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drill } from '../support/drill/as-test.js';

describe('fault: a second worker joins the group, then one of the two is SIGKILLed', () => {
  it('the survivor takes over, the victim rejoins: lost 0, duplicated 0', { timeout: 240_000 }, async () => {
    const report = await drill({ scenarios: ['rebalance'] });
    assert.deepEqual(
      report.faults.map((f) => f.kind),
      ['worker added', 'rebalance kill'],
    );
    const workers = Object.keys(report.outcome?.perWorker ?? {}).filter((w) => w !== 'unknown');
    assert.equal(workers.length, 2, `both workers published outcomes: ${JSON.stringify(report.outcome?.perWorker)}`);
  });
});
