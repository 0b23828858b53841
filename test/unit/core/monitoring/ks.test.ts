import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import golden from '../../../fixtures/drift/ks.json' with { type: 'json' };
import { kolmogorovSf, ksEffectiveSize, ksPValue, ksStatistic } from '../../../../src/core/monitoring/ks.js';

describe('two-sample KS against scipy.stats.ks_2samp(method="asymp") (test/fixtures/drift/ks.json)', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const d = ksStatistic(c.a, c.b);
      assert.ok(Math.abs(d - c.statistic) <= 1e-9, `D ${d} vs ${c.statistic}`);
      const p = ksPValue(d, c.a.length, c.b.length);
      assert.ok(Math.abs(p - c.pvalue) <= 1e-9, `p ${p} vs ${c.pvalue}`);
    });
  }
});

describe('KS details', () => {
  it('rounds the effective size half to even, as numpy does', () => {
    assert.equal(ksEffectiveSize(3, 1), 1); // 0.75 -> 1
    assert.equal(ksEffectiveSize(1000, 1000), 500);
    assert.equal(ksEffectiveSize(5, 5), 2); // 2.5 -> 2
    assert.equal(ksEffectiveSize(15, 15), 8); // 7.5 -> 8
  });

  it('gives no p-value below the implemented effective size, rather than a wrong one', () => {
    assert.ok(Number.isNaN(kolmogorovSf(100, 0.1)));
    assert.ok(Number.isNaN(ksStatistic([], [1])));
  });

  it('the p-value falls as D grows', () => {
    const ps = [0.01, 0.03, 0.05, 0.1].map((d) => kolmogorovSf(1000, d));
    for (let i = 1; i < ps.length; i++) assert.ok((ps[i] as number) < (ps[i - 1] as number));
  });
});
