import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseModelCard } from '../../../src/core/models/index.js';
import { repoRoot } from '../../../src/training/retrain.js';

/**
 * The quality floor of the committed demo model trained with model selection and baselines (card-fraud@3; @1, the
 * champion the lifecycle demo and tests roll challengers against, predates them), asserted from its card: a
 * regenerated model that scores worse, or no better than its baselines, fails here before it ships.
 */
const DAY_MS = 86_400_000;
const VERSION = '3';

describe(`demo model quality floor (registry/card-fraud/${VERSION}/card.json)`, () => {
  const where = join(repoRoot(), 'registry', 'card-fraud', VERSION, 'card.json');
  const parsed = parseModelCard(readFileSync(where, 'utf8'), where);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('\n'));
  const card = parsed.card;

  it('is version 3, trained with model selection and baselines, with version 1 to roll back to', () => {
    assert.equal(card.version, VERSION);
    assert.equal(card.rollbackTarget, 'card-fraud@1');
  });

  it('has test AUC >= 0.85', () => {
    assert.ok((card.metrics.test.aucRoc ?? 0) >= 0.85, `test AUC ${card.metrics.test.aucRoc}`);
  });

  it('has card precision@100 per day >= 0.25 over every test day', () => {
    const cp = card.metrics.test.cardPrecisionAt100;
    assert.equal(cp.k, 100);
    assert.equal(cp.days, card.split.testDays, 'one precision@100 per test day');
    assert.ok((cp.mean ?? 0) >= 0.25, `card precision@100/day ${cp.mean}`);
  });

  it('beats both baselines on average precision and is not below them on card precision@100', () => {
    const baselines = card.baselines;
    assert.ok(baselines, 'the card compares the model with its baselines');
    assert.deepEqual(Object.keys(baselines.models).sort(), ['logisticRegression', 'randomForest']);
    const test = card.metrics.test;
    for (const [name, b] of Object.entries(baselines.models)) {
      assert.ok((test.averagePrecision ?? 0) > (b.metrics.averagePrecision ?? 1), `AP vs ${name}`);
      assert.ok((test.cardPrecisionAt100.mean ?? 0) >= (b.metrics.cardPrecisionAt100.mean ?? 1), `CP@100 vs ${name}`);
      for (const metric of ['cardPrecisionAt100', 'averagePrecision']) {
        const margin = b.margin[metric];
        assert.ok(margin && typeof margin.withinNoise === 'boolean', `${name} ${metric}: margin with a noise verdict`);
      }
    }
    // Anything short of beating both on both metrics must carry the reason it was accepted anyway.
    assert.equal(baselines.beatsAll, baselines.shortfalls.length === 0);
    if (!baselines.beatsAll) assert.ok(baselines.allowBelowBaseline, baselines.shortfalls.join('; '));
  });

  it('carries a day-bootstrap interval on every test metric', () => {
    const intervals = card.metrics.test.intervals;
    assert.ok(intervals, 'intervals on the test set');
    assert.equal(intervals.days, card.split.testDays);
    for (const metric of ['aucRoc', 'averagePrecision', 'cardPrecisionAt100', 'brier'] as const) {
      const { low, high } = intervals[metric];
      assert.ok(low !== null && high !== null && low <= high, `${metric}: [${low}, ${high}]`);
    }
  });

  it('chose its settings on time-aware folds that skip the label delay', () => {
    const selection = card.selection;
    assert.ok(selection, 'the card records model selection');
    assert.equal(selection.metric, 'cardPrecisionAt100');
    assert.equal(selection.chosen.trees, card.training.bestIteration);
    for (const fold of selection.folds) {
      const gapDays = (Date.parse(fold.validFrom) - Date.parse(fold.trainTo)) / DAY_MS;
      assert.equal(gapDays, selection.labelDelayDays);
      assert.ok(fold.validTo <= card.split.testFrom, 'validation ends before the test window');
    }
  });

  it('names its raw data, backfill parameters and trainer arguments, so `fraudscore retrain` can rerun it', () => {
    assert.equal(card.dataset.rawSource?.kind, 'simulate');
    assert.equal(card.dataset.backfill?.topology, 'topologies/card-payments.yaml');
    assert.equal(card.training.args?.testDays, 7);
    assert.equal(card.training.args?.reference?.rawSource?.kind, 'simulate');
  });
});
