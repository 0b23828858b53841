import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import golden from '../../../fixtures/drift/binning.json' with { type: 'json' };
import { binCounts, binIndex, binnedReference, decileEdges } from '../../../../src/core/monitoring/binning.js';
import { psi } from '../../../../src/core/monitoring/psi.js';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-9, `${what}: ${actual} vs golden ${expected}`);

describe('reference binning and PSI against numpy (test/fixtures/drift/binning.json)', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const reference = binnedReference(c.reference);
      // Edges decide which bin a value lands in: they must be the very same numbers, not merely close.
      assert.deepEqual(reference.edges, c.edges);
      assert.equal(reference.shares.length, c.shares.length);
      reference.shares.forEach((share, i) => close(share, c.shares[i] as number, `share ${i}`));
      assert.deepEqual(binCounts(c.edges, c.actual), c.actualCounts);
      const value = psi(c.shares, c.actualCounts, c.epsilon);
      assert.ok(Number.isFinite(value), 'PSI is finite even with empty bins');
      close(value, c.psi, 'PSI');
    });
  }
});

describe('binning rule', () => {
  it('puts a value equal to an edge into the bin above it, and opens both ends', () => {
    const edges = [1, 2, 3];
    assert.deepEqual(
      [-1e300, 0.999, 1, 1.5, 2, 3, 1e300].map((v) => binIndex(edges, v)),
      [0, 0, 1, 1, 2, 3, 3],
    );
  });

  it('merges identical deciles: a constant feature has one edge and two bins', () => {
    assert.deepEqual(decileEdges([5, 5, 5, 5]), [5]);
    assert.deepEqual(binnedReference([5, 5, 5, 5]).shares, [0, 1]);
  });

  it('PSI is 0 for identical distributions and grows with the shift; an empty bin stays finite', () => {
    const shares = [0.25, 0.25, 0.25, 0.25];
    assert.equal(psi(shares, [10, 10, 10, 10], 1e-4), 0);
    const small = psi(shares, [12, 10, 10, 8], 1e-4);
    const large = psi(shares, [40, 0, 0, 0], 1e-4);
    assert.ok(small > 0 && large > small && Number.isFinite(large));
    assert.ok(Number.isNaN(psi(shares, [0, 0, 0, 0], 1e-4)), 'no records: no number');
    assert.throws(() => psi(shares, [1, 2], 1e-4), /bins/);
  });
});
