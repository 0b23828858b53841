import '../support/drill/env.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drill } from '../support/drill/as-test.js';

describe('fault: the schema registry goes away after start-up', () => {
  it(
    'cached schemas keep decoding, a never-seen id waits for it; an empty registry gets the outputs registered again',
    { timeout: 240_000 },
    async () => {
      const report = await drill({ scenarios: ['registry'] });
      assert.deepEqual(
        report.faults.map((f) => f.kind),
        ['registry outage', 'registry reset'],
      );
      // The checks the drill already made, named here for the reader: no dead letter for valid data (the v2 records
      // waited), and no output after the reset with an id that now means another schema.
      for (const name of [
        'a never-seen schema id waits for the registry (not dead-lettered)',
        'dead letters only for hostile records',
        'output schema ids mean the contract schemas in the registry',
      ]) {
        assert.ok(report.checks.find((check) => check.name === name)?.ok, name);
      }
    },
  );
});
