import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateModelCard } from '../../../../src/core/models/card.js';
import type { MonitoringReference } from '../../../../src/core/monitoring/reference.js';
import { fakeModel, makeCard } from '../models/card-fixture.js';

const reference: MonitoringReference = {
  epsilon: 1e-4,
  features: { amount: { edges: [10, 20], shares: [0.3, 0.4, 0.3] } },
  score: { bins: { edges: [0.5], shares: [0.9, 0.1] }, sample: [0.01, 0.02, 0.02, 0.7], rows: 'test' },
};

/** The problems of a card carrying `monitoring` (none: it validates). */
function problemsWith(monitoring: MonitoringReference): readonly string[] {
  const result = validateModelCard({ ...makeCard('card-fraud', '4', fakeModel('4')), monitoring });
  return result.ok ? [] : result.problems;
}

describe("the model card's monitoring reference", () => {
  it('accepts a sorted sample (ties allowed) and shares that sum to 1 within float rounding', () => {
    assert.deepEqual(problemsWith(reference), []);
    const thirds = { edges: [1, 2], shares: [1 / 3, 1 / 3, 1 / 3] };
    assert.deepEqual(problemsWith({ ...reference, features: { amount: thirds } }), []);
  });

  it('refuses a score sample that is not ascending, naming the field and the fix', () => {
    const problems = problemsWith({ ...reference, score: { ...reference.score, sample: [0.7, 0.01, 0.02] } });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^monitoring\.score\.sample: must be sorted ascending .*sort the values/);
  });

  it('refuses bin shares that do not sum to 1, for a feature and for the score', () => {
    const feature = problemsWith({ ...reference, features: { amount: { edges: [10, 20], shares: [0.3, 0.4, 0.2] } } });
    assert.equal(feature.length, 1);
    assert.match(feature[0] ?? '', /^monitoring\.features\.amount\.shares: must sum to 1 \(within 0\.000001\)/);
    const score = problemsWith({ ...reference, score: { ...reference.score, bins: { edges: [0.5], shares: [1, 1] } } });
    assert.equal(score.length, 1);
    assert.match(score[0] ?? '', /^monitoring\.score\.bins\.shares: must sum to 1 .*recompute them from the counts/);
  });

  it('refuses a negative share, naming it', () => {
    const problems = problemsWith({
      ...reference,
      features: { amount: { edges: [10, 20], shares: [0.6, -0.2, 0.6] } },
    });
    assert.deepEqual(problems, [
      "monitoring.features.amount.shares.1: a share is never negative: each is a bin's count divided by the number of values",
    ]);
  });
});
