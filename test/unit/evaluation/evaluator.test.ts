import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTopology } from '../../../src/config/index.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../src/adapters/observability/metrics.js';
import { Evaluator } from '../../../src/evaluation/index.js';

describe('Evaluator configuration', () => {
  it('refuses a horizon that does not outlast the label delay, naming the field and the fix', () => {
    const text = `${readFileSync('topologies/card-payments.yaml', 'utf8')}\nmonitoring:\n  evaluation:\n    horizonDays: 7\n`;
    const topology = parseTopology(text, 't.yaml', {});
    assert.throws(
      () =>
        new Evaluator({
          topology,
          log: createLogger({ name: 't', level: 'silent' }),
          metrics: createPipelineMetrics('t'),
        }),
      /monitoring\.evaluation\.horizonDays: 7 days is not longer than the label delay.*Set it above 7/,
    );
  });
});
