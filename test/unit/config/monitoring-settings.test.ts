import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTopology, TopologyError } from '../../../src/config/index.js';

const base = readFileSync('topologies/card-payments.yaml', 'utf8');

describe('topology monitoring settings', () => {
  it('a topology without a monitoring section gets the documented defaults', () => {
    const topology = parseTopology(base, 't.yaml', {});
    assert.deepEqual(topology.monitoring, {
      drift: { windowRecords: 10_000, windowMs: 3_600_000, minRecords: 1_000 },
      evaluation: { horizonDays: 10, windowDays: 7, minLabelled: 200 },
    });
  });

  it('names the field and the fix when the minimum window is larger than the window, or too small for KS', () => {
    const bad = (monitoring: string) => () => parseTopology(`${base}\nmonitoring:\n${monitoring}\n`, 't.yaml', {});
    assert.throws(bad('  drift:\n    windowRecords: 500\n    minRecords: 800'), (error: unknown) => {
      assert.ok(error instanceof TopologyError);
      assert.match(error.message, /monitoring\.drift\.minRecords: at most windowRecords/);
      return true;
    });
    assert.throws(bad('  drift:\n    minRecords: 50'), /monitoring\.drift\.minRecords/);
    assert.throws(bad('  evaluation:\n    horizonDay: 9'), /horizonDay/);
  });

  it('refuses an evaluation horizon that does not outlast the label delay, naming the field and the fix', () => {
    const withDelay = (days: number, monitoring = '') =>
      `${base.replace(/labelDelayDays: \d+/, `labelDelayDays: ${days}`)}${monitoring}`;
    const horizon = (days: number) => `\nmonitoring:\n  evaluation:\n    horizonDays: ${days}\n`;
    const refused = (text: string, horizonDays: number, labelDelayDays: number) =>
      assert.throws(
        () => parseTopology(text, 't.yaml', {}),
        (error: unknown) => {
          assert.ok(error instanceof TopologyError, String(error));
          assert.deepEqual(error.problems, [
            `monitoring.evaluation.horizonDays: ${horizonDays} days is not longer than the label delay ` +
              `(features.labelDelayDays ${labelDelayDays}); frauds reported late would count as genuine. ` +
              `Set it above ${labelDelayDays}.`,
          ]);
          return true;
        },
      );
    refused(withDelay(7, horizon(7)), 7, 7);
    refused(withDelay(7, horizon(3)), 3, 7);
    // The default horizon (10 days) against a longer label delay.
    refused(withDelay(12), 10, 12);
    assert.equal(parseTopology(withDelay(7, horizon(8)), 't.yaml', {}).monitoring.evaluation.horizonDays, 8);
    assert.equal(parseTopology(withDelay(9), 't.yaml', {}).monitoring.evaluation.horizonDays, 10);
  });
});
