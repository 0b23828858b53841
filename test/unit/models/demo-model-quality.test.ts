import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseModelCard } from '../../../src/core/models/index.js';
import { repoRoot } from '../../../src/training/retrain.js';

/**
 * The quality floor of the committed demo model (registry/card-fraud/1, what the pipeline loads as champion),
 * asserted from its card: a regenerated model that scores worse fails here before it ships.
 */
describe('demo model quality floor (registry/card-fraud/1/card.json)', () => {
  const where = join(repoRoot(), 'registry', 'card-fraud', '1', 'card.json');
  const parsed = parseModelCard(readFileSync(where, 'utf8'), where);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('\n'));
  const card = parsed.card;

  it('has test AUC >= 0.85', () => {
    assert.ok((card.metrics.test.aucRoc ?? 0) >= 0.85, `test AUC ${card.metrics.test.aucRoc}`);
  });

  it('has card precision@100 per day >= 0.25 over every test day', () => {
    const cp = card.metrics.test.cardPrecisionAt100;
    assert.equal(cp.k, 100);
    assert.equal(cp.days, card.split.testDays, 'one precision@100 per test day');
    assert.ok((cp.mean ?? 0) >= 0.25, `card precision@100/day ${cp.mean}`);
  });

  it('names its raw data, backfill parameters and trainer arguments, so `fraudscore retrain` can rerun it', () => {
    assert.equal(card.dataset.rawSource?.kind, 'simulate');
    assert.equal(card.dataset.backfill?.topology, 'topologies/card-payments.yaml');
    assert.equal(card.training.args?.testDays, 7);
    assert.equal(card.training.args?.reference?.rawSource?.kind, 'simulate');
  });
});
