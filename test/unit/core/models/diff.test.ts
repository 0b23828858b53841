import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffCards } from '../../../../src/core/models/diff.js';
import { fakeModel, makeCard } from './card-fixture.js';

describe('card diff', () => {
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
});
