import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binCounts, binnedReference, quantileSorted } from '../../../../src/core/monitoring/binning.js';
import { DriftWindow, validateDriftPolicy } from '../../../../src/core/monitoring/drift-window.js';
import { ksPValue, ksStatistic } from '../../../../src/core/monitoring/ks.js';
import { psi } from '../../../../src/core/monitoring/psi.js';
import type { MonitoringReference } from '../../../../src/core/monitoring/reference.js';

/** Deterministic pseudo-random values in [0, 1). */
function values(n: number, seed: number, power = 1): number[] {
  let state = seed;
  return Array.from({ length: n }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (state / 2_147_483_648) ** power;
  });
}

const referenceScores = values(2000, 7, 3);
const reference: MonitoringReference = {
  epsilon: 1e-4,
  features: { a: binnedReference(values(2000, 1)), b: binnedReference(values(2000, 2).map((v) => (v < 0.3 ? 1 : 0))) },
  score: { bins: binnedReference(referenceScores), sample: [...referenceScores].sort((x, y) => x - y), rows: 'test' },
};
const policy = { maxRecords: 1000, maxAgeMs: 60_000, minRecords: 400 };

function batch(n: number, seed: number, shift = 0): { scores: number[]; rows: number[] } {
  const scores = values(n, seed, 3).map((v) => Math.min(1, v + shift));
  const a = values(n, seed + 1).map((v) => v + shift);
  const b = values(n, seed + 2).map((v) => (v < 0.3 + shift ? 1 : 0));
  return { scores, rows: scores.flatMap((_, i) => [a[i] as number, b[i] as number, 99]) };
}

describe('DriftWindow', () => {
  it('reports insufficient data below the minimum, never a number', () => {
    const window = new DriftWindow(reference, ['a', 'b', 'c'], policy);
    const { scores, rows } = batch(399, 11);
    window.observe(0, scores, rows, 3);
    assert.deepEqual(window.snapshot(0), { status: 'insufficient-data', records: 399, minRecords: 400 });
  });

  it('gives the same PSI, KS and quantiles as a direct computation over the window', () => {
    const window = new DriftWindow(reference, ['a', 'b', 'c'], policy);
    const first = batch(700, 11);
    const second = batch(600, 21, 0.1);
    window.observe(0, first.scores, first.rows, 3);
    window.observe(1000, second.scores, second.rows, 3);
    const snapshot = window.snapshot(1000);
    assert.equal(snapshot.status, 'ok');
    if (snapshot.status !== 'ok') return;
    // 1300 observed, 1000 kept: the most recent ones.
    const keptScores = [...first.scores.slice(300), ...second.scores];
    const keptRows = [...first.rows.slice(300 * 3), ...second.rows];
    assert.equal(snapshot.records, 1000);
    const column = (c: number) => keptScores.map((_, i) => keptRows[i * 3 + c] as number);
    for (const [name, c] of [
      ['a', 0],
      ['b', 1],
    ] as const) {
      const ref = reference.features[name]!;
      assert.equal(snapshot.featurePsi[name], psi(ref.shares, binCounts(ref.edges, column(c)), 1e-4));
    }
    assert.ok(!('c' in snapshot.featurePsi), 'a feature without a reference is not tracked');
    const sorted = Float64Array.from(keptScores).sort();
    assert.equal(
      snapshot.scorePsi,
      psi(reference.score.bins.shares, binCounts(reference.score.bins.edges, sorted), 1e-4),
    );
    const d = ksStatistic(sorted, reference.score.sample);
    assert.equal(snapshot.ks.statistic, d);
    assert.equal(snapshot.ks.pValue, ksPValue(d, 1000, 2000));
    assert.equal(snapshot.quantiles[0.99], quantileSorted(sorted, 0.99));
    assert.ok(snapshot.featurePsi['a']! > 0.05, 'the shifted feature drifts');
  });

  it('leaves out the features it is told not to track, even with a reference in the card', () => {
    const window = new DriftWindow(reference, ['a', 'b', 'c'], policy, ['b']);
    const { scores, rows } = batch(500, 11);
    window.observe(0, scores, rows, 3);
    assert.deepEqual(window.trackedFeatures, ['a']);
    const snapshot = window.snapshot(0);
    assert.ok(snapshot.status === 'ok');
    assert.deepEqual(Object.keys(snapshot.featurePsi), ['a']);
    // The kept column is still read at its own position in the row.
    const a = rows.filter((_, i) => i % 3 === 0);
    const ref = reference.features['a']!;
    assert.equal(snapshot.featurePsi['a'], psi(ref.shares, binCounts(ref.edges, a), 1e-4));
  });

  it('drops records older than the time span', () => {
    const window = new DriftWindow(reference, ['a', 'b', 'c'], policy);
    const old = batch(500, 11);
    window.observe(0, old.scores, old.rows, 3);
    assert.equal(window.snapshot(60_000).records, 500);
    assert.equal(window.snapshot(60_001).status, 'insufficient-data');
    assert.equal(window.records, 0);
  });

  it('a stable stream shows small PSI and a high KS p-value; a shifted one does not', () => {
    const stable = new DriftWindow(reference, ['a', 'b', 'c'], policy);
    const same = batch(1000, 31);
    stable.observe(0, same.scores, same.rows, 3);
    const shifted = new DriftWindow(reference, ['a', 'b', 'c'], policy);
    const moved = batch(1000, 31, 0.2);
    shifted.observe(0, moved.scores, moved.rows, 3);
    const s = stable.snapshot(0);
    const m = shifted.snapshot(0);
    assert.ok(s.status === 'ok' && m.status === 'ok');
    if (s.status !== 'ok' || m.status !== 'ok') return;
    assert.ok(s.featurePsi['a']! < 0.1 && m.featurePsi['a']! > 0.25);
    assert.ok(s.ks.pValue > 0.01 && m.ks.pValue < 1e-6);
  });

  it('validates its policy against the KS p-value range', () => {
    assert.deepEqual(validateDriftPolicy(policy, 10_000), []);
    assert.match(validateDriftPolicy({ ...policy, minRecords: 100 }, 10_000).join(), /minRecords/);
  });
});
