import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeAucShortfall } from '../../../../src/core/control/auc-judgement.js';
import { aucVariance, hanleyMcNeilStandardError, pairedAuc } from '../../../../src/core/monitoring/delong.js';
import { rocAuc } from '../../../../src/core/report/score-report.js';
import { missedFrauds } from './missed-frauds.js';

/** DeLong's variance from its definition, O(positives × negatives): the reference the midrank form must match. */
function delongByDefinition(champion: number[], challenger: number[], fraud: boolean[]) {
  const kernel = (p: number, n: number) => (p > n ? 1 : p === n ? 0.5 : 0);
  const parts = (scores: number[]) => {
    const positives = scores.filter((_, i) => fraud[i]);
    const negatives = scores.filter((_, i) => !fraud[i]);
    return {
      ofPositives: positives.map((p) => negatives.reduce((sum, n) => sum + kernel(p, n), 0) / negatives.length),
      ofNegatives: negatives.map((n) => positives.reduce((sum, p) => sum + kernel(p, n), 0) / positives.length),
    };
  };
  const variance = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  };
  const a = parts(champion);
  const b = parts(challenger);
  const dp = a.ofPositives.map((v, i) => v - (b.ofPositives[i] as number));
  const dn = a.ofNegatives.map((v, i) => v - (b.ofNegatives[i] as number));
  return Math.sqrt(variance(dp) / dp.length + variance(dn) / dn.length);
}

function seeded(seed: number) {
  let x = seed;
  return { uniform: () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648 };
}

describe('paired AUC: DeLong standard error of the difference', () => {
  it('matches a hand-checked case (values from the definition, computed independently)', () => {
    const champion = [0.9, 0.8, 0.7, 0.65, 0.6, 0.4, 0.35, 0.3, 0.2, 0.1, 0.1, 0.05];
    const challenger = [0.7, 0.9, 0.5, 0.6, 0.62, 0.3, 0.5, 0.1, 0.25, 0.1, 0.2, 0.05];
    const fraud = [1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0].map(Boolean);
    const auc = pairedAuc(champion, challenger, fraud);
    assert.ok(Math.abs(auc.championAuc - 0.7571428571428572) < 1e-12, String(auc.championAuc));
    assert.ok(Math.abs(auc.challengerAuc - 0.7714285714285715) < 1e-12, String(auc.challengerAuc));
    assert.ok(Math.abs(auc.standardError - 0.08531653746270913) < 1e-12, String(auc.standardError));
  });

  it('equals the definition and rocAuc on random samples with ties', () => {
    const { uniform } = seeded(11);
    for (let trial = 0; trial < 50; trial++) {
      const n = 20 + Math.floor(uniform() * 200);
      const fraud = Array.from({ length: n }, (_, i) => i < 2 || (i >= 4 && uniform() < 0.2));
      // Scores on a coarse grid: many ties within and across classes.
      const champion = fraud.map((f) => Math.round((f ? 0.3 : 0) * 20 + uniform() * 20) / 20);
      const challenger = champion.map((s) => (uniform() < 0.3 ? Math.round(uniform() * 20) / 20 : s));
      const auc = pairedAuc(champion, challenger, fraud);
      assert.ok(Math.abs(auc.championAuc - rocAuc(champion, fraud)) < 1e-12);
      assert.ok(Math.abs(auc.challengerAuc - rocAuc(challenger, fraud)) < 1e-12);
      const expected = delongByDefinition(champion, challenger, fraud);
      assert.ok(Math.abs(auc.standardError - expected) < 1e-12, `trial ${trial}: ${auc.standardError} vs ${expected}`);
    }
  });

  it('gives the same bits for the same records in any order (a restarted evaluator reads them interleaved)', () => {
    const { uniform } = seeded(23);
    const n = 5000;
    const fraud = Array.from({ length: n }, () => uniform() < 0.05);
    const champion = fraud.map((f) => Math.min(1, (f ? 0.4 : 0) + uniform() * 0.6));
    const challenger = champion.map((s) => Math.min(1, s * (0.9 + uniform() * 0.2)));
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const shuffle = <T>(values: T[]) => order.map((i) => values[i] as T);
    assert.deepEqual(
      pairedAuc(shuffle(champion), shuffle(challenger), shuffle(fraud)),
      pairedAuc(champion, challenger, fraud),
    );
    assert.equal(aucVariance(shuffle(champion), shuffle(fraud)), aucVariance(champion, fraud));
  });

  it('fails a challenger that misses a fifth of the frauds, which independent errors would have held', () => {
    const { champion, challenger, fraud } = missedFrauds(8);
    const auc = pairedAuc(champion, challenger, fraud);
    const shortfall = auc.championAuc - 0.01 - auc.challengerAuc;
    assert.ok(shortfall > 0.07, `shortfall beyond the margin ${shortfall}`);
    assert.equal(judgeAucShortfall(auc, 0.01).status, 'fail', `±${2 * auc.standardError}`);
    // Hanley & McNeil per model, combined as if independent: ±0.092 against the paired ±0.058, so the same
    // shortfall (0.079) held the stage.
    const independent =
      2 *
      Math.hypot(
        hanleyMcNeilStandardError(auc.championAuc, 40, 1960),
        hanleyMcNeilStandardError(auc.challengerAuc, 40, 1960),
      );
    assert.ok(shortfall < independent, `independent errors ±${independent} would hold ${shortfall}`);
  });

  it('passes within the margin, holds within sampling error, and holds without an error estimate', () => {
    const fraud = [true, false, false, false];
    // One fraud: no variance across positives; a shortfall cannot be judged.
    const single = pairedAuc([0.9, 0.1, 0.2, 0.3], [0.1, 0.2, 0.3, 0.9], fraud);
    assert.ok(Number.isNaN(single.standardError));
    assert.equal(judgeAucShortfall(single, 0.01).status, 'hold');
    assert.equal(judgeAucShortfall(pairedAuc([0.9, 0.1, 0.2, 0.3], [0.9, 0.1, 0.2, 0.3], fraud), 0).status, 'pass');
    const oneClass = pairedAuc([0.1, 0.2], [0.2, 0.1], [false, false]);
    assert.ok(Number.isNaN(oneClass.championAuc) && Number.isNaN(oneClass.standardError));
  });
});
