import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseTopology } from '../../../src/config/index.js';
import { openFsRegistry } from '../../../src/adapters/model-registry/index.js';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createEvaluatorMetrics } from '../../../src/adapters/observability/metrics.js';
import type { Expectation } from '../../../src/core/monitoring/reference.js';
import { Evaluator } from '../../../src/evaluation/index.js';
import { fakeModel, makeCard } from '../core/models/card-fixture.js';

const DAY = 86_400_000;
const D0 = 20_000; // a UTC day index

function evaluatorFor(topologyText: string): Evaluator {
  return new Evaluator({
    topology: parseTopology(topologyText, 't.yaml', {}),
    log: createLogger({ name: 't', level: 'silent' }),
    metrics: createEvaluatorMetrics('t'),
  });
}

describe('Evaluator status', () => {
  let registry: string;
  const cardFraudAuc: Expectation = { value: 0.95, lower: 0.9, upper: 1 };
  const brokenAuc: Expectation = { value: 0.75, lower: 0.7, upper: 0.8 };

  before(async () => {
    registry = await mkdtemp(join(tmpdir(), 'fraudscore-evaluator-'));
    // Two models with the same version number, as in the lifecycle demo (champion and a 5 % challenger).
    for (const [name, auc] of [
      ['card-fraud', cardFraudAuc],
      ['broken-scores', brokenAuc],
    ] as const) {
      const model = fakeModel(`${name}@1`);
      const card = {
        ...makeCard(name, '1', model),
        monitoring: {
          epsilon: 1e-4,
          features: {},
          score: { bins: { edges: [], shares: [1] }, sample: [0.5], rows: 'test' },
          expectations: { auc },
        },
      };
      await openFsRegistry(registry).register(
        { model, card: new TextEncoder().encode(JSON.stringify(card)), cardMd: new TextEncoder().encode('# card\n') },
        { champion: true },
      );
    }
  });
  after(async () => {
    await rm(registry, { recursive: true, force: true });
  });

  it('compares each model with its own card, even when another model has the same version', async () => {
    const text =
      readFileSync('topologies/card-payments.yaml', 'utf8').replace(/^ {2}registry: .*$/m, `  registry: ${registry}`) +
      '\nmonitoring:\n  evaluation:\n    horizonDays: 10\n    minLabelled: 1\n';
    const evaluator = evaluatorFor(text);
    for (let i = 0; i < 10; i++) {
      const common = {
        eventTimeMs: D0 * DAY + i * 1000,
        decision: 'APPROVE',
        customerId: `c${i}`,
        amount: 10,
      } as const;
      evaluator.join.addPrediction({
        ...common,
        transactionId: `champion-${i}`,
        score: i / 10,
        modelName: 'card-fraud',
        modelVersion: '1',
      });
      // The challenger gives the fraud its lowest score: its AUC is 0, far below either card's interval.
      evaluator.join.addPrediction({
        ...common,
        transactionId: `challenger-${i}`,
        score: 1 - i / 10,
        modelName: 'broken-scores',
        modelVersion: '1',
      });
    }
    evaluator.join.addLabel({ transactionId: 'champion-9', isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    evaluator.join.addLabel({ transactionId: 'challenger-9', isFraud: true, reportedAtMs: (D0 + 1) * DAY });
    evaluator.join.advance((D0 + 20) * DAY);

    const status = await evaluator.status();
    const auc = (model: string) => {
      const entry = status.find((s) => s.model === model);
      assert.ok(entry, `a status for ${model}`);
      assert.equal(entry.labelled, 10, `${model} pools only its own rows`);
      return entry.comparisons.find((c) => c.metric === 'auc');
    };
    assert.deepEqual(status.map((s) => s.model).sort(), ['broken-scores@1', 'card-fraud@1']);
    assert.deepEqual(auc('card-fraud@1'), { metric: 'auc', status: 'within', live: 1, expected: cardFraudAuc });
    assert.deepEqual(auc('broken-scores@1'), { metric: 'auc', status: 'below', live: 0, expected: brokenAuc });
  });
});
