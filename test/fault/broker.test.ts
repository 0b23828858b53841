import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drill } from '../support/drill/as-test.js';

describe('fault: the Kafka broker restarts mid-run (stack.sh restart kafka)', () => {
  it(
    'the worker retries with back-off and carries on in the same process: lost 0, duplicated 0',
    { timeout: 240_000 },
    async () => {
      const report = await drill({ scenarios: ['broker'] });
      assert.equal(report.unexpectedExits.length, 0, 'the worker carried on without exiting');
      assert.equal(report.faults.filter((f) => f.kind === 'broker restart').length, 1);
    },
  );
});
