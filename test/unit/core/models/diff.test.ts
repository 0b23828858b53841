import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelCard } from '../../../../src/core/models/card.js';
import { diffCards, type DiffRow } from '../../../../src/core/models/diff.js';
import { summariseValue } from '../../../../src/core/models/value-summary.js';
import { fakeModel, makeCard } from './card-fixture.js';

type Monitoring = NonNullable<ModelCard['monitoring']>;

function monitoring(scoreSample: number[], amountEdges: number[] = [10, 20]): Monitoring {
  const bins = { edges: amountEdges, shares: amountEdges.map(() => 1 / (amountEdges.length + 1)).concat(1 / 3) };
  return {
    epsilon: 0.0001,
    features: { amount: bins },
    score: { bins: { edges: [0.5], shares: [0.5, 0.5] }, sample: scoreSample, rows: 'test' },
  };
}

function withParams(card: ModelCard, params: Record<string, unknown>): ModelCard {
  return { ...card, training: { ...card.training, params: { ...card.training.params, ...params } } };
}

function rowOf(rows: readonly DiffRow[], field: string): DiffRow | undefined {
  return rows.find((row) => row.field === field);
}

describe('card diff', () => {
  const one = makeCard('card-fraud', '1', fakeModel('1'));

  it('lists changed fields and metric deltas side by side', () => {
    const a = makeCard('card-fraud', '1', fakeModel('1'));
    const b = makeCard('card-fraud', '2', fakeModel('2'), { rollbackTarget: 'card-fraud@1' });
    b.metrics.test.aucRoc = (a.metrics.test.aucRoc ?? 0) + 0.01;
    const diff = diffCards(a, b);
    const changed = diff.fields.filter((row) => row.changed).map((row) => row.field);
    assert.deepEqual(changed.sort(), ['modelSha256', 'rollbackTarget', 'version']);
    const auc = diff.metrics.find((row) => row.field === 'metrics.test.aucRoc');
    assert.ok(auc?.changed);
    assert.ok(Math.abs((auc?.delta ?? 0) - 0.01) < 1e-9);
    assert.ok(!diff.metrics.some((row) => row.field.includes('reliability')), 'reliability tables are left out');
    assert.ok(diff.fields.some((row) => row.field === 'input.features' && !row.changed));
  });

  it('keeps a short array as one ordered value', () => {
    const diff = diffCards(withParams(one, { grid: [0.5, 0.8, 1] }), withParams(one, { grid: [0.5, 1, 0.8] }));
    assert.deepEqual(rowOf(diff.fields, 'training.params.grid'), {
      field: 'training.params.grid',
      a: '0.5, 0.8, 1',
      b: '0.5, 1, 0.8',
      changed: true,
    });
  });

  it('summarises a long array by length and hash, which still tell whether the two sides differ', () => {
    const sample = Array.from({ length: 5000 }, (_, i) => i / 5000);
    const moved = sample.map((value, i) => (i === 4321 ? value + 1e-6 : value));
    const diff = diffCards(withParams(one, { sample }), withParams(one, { sample: moved }));
    assert.deepEqual(rowOf(diff.fields, 'training.params.sample'), {
      field: 'training.params.sample',
      a: summariseValue(sample),
      b: summariseValue(moved),
      changed: true,
    });
    const same = diffCards(withParams(one, { sample }), withParams(one, { sample: [...sample] }));
    assert.equal(rowOf(same.fields, 'training.params.sample')?.changed, false);
    assert.ok(JSON.stringify(diff).length < 20_000, 'the diff does not carry the sample');
  });

  it('shows a section only one card has as one row, and a new field beside its section', () => {
    const newer = { ...withParams(one, { scale_pos_weight: 1 }), monitoring: monitoring([0.1, 0.2]) };
    const diff = diffCards(one, newer);
    assert.deepEqual(rowOf(diff.fields, 'monitoring'), {
      field: 'monitoring',
      a: undefined,
      b: summariseValue(newer.monitoring),
      changed: true,
    });
    assert.ok(!diff.fields.some((row) => row.field.startsWith('monitoring.')));
    const fields = diff.fields.map((row) => row.field);
    assert.equal(fields.indexOf('training.params.scale_pos_weight') + 1, fields.indexOf('training.seed'));
  });

  it("shows the drift monitor's reference distributions as one row each", () => {
    const a = { ...one, monitoring: monitoring([0.1, 0.2], [10, 20]) };
    const b = { ...one, monitoring: monitoring([0.1, 0.3], [10, 20]) };
    const rows = diffCards(a, b).fields.filter((row) => row.field.startsWith('monitoring'));
    assert.deepEqual(
      rows.map((row) => [row.field, row.changed]),
      [
        ['monitoring.epsilon', false],
        ['monitoring.features', false],
        ['monitoring.score', true],
      ],
    );
  });
});
