import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drill } from '../support/drill/as-test.js';

describe('fault: one of two workers freezes (SIGSTOP) for longer than its session, then resumes (a zombie)', () => {
  it(
    'the resumed worker commits nothing the other already scored: lost 0, duplicated 0',
    { timeout: 240_000 },
    async () => {
      // Frozen inside a transaction, the zombie is fenced when it resumes and exits (the pool restarts it): allowed.
      const report = await drill({ scenarios: ['pause'] });
      assert.deepEqual(
        report.faults.map((f) => f.kind),
        ['pause'],
      );
    },
  );
});
