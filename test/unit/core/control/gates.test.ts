import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  judgeAlertRates,
  evaluateGates,
  rolloutGatePolicy,
  scorePsi,
  type GatePolicy,
  type StageEvidence,
} from '../../../../src/core/control/index.js';
import { missedFrauds } from '../monitoring/missed-frauds.js';

const policy: GatePolicy = {
  minRecords: 1000,
  latencyP99Ms: 100,
  maxAlertRateDelta: 0.01,
  maxScorePsi: 0.25,
  aucMargin: 0.02,
  minLabelled: 100,
  alertAt: 0.5,
};

/** Deterministic pseudo-random scores in [0, 1). */
function scores(n: number, seed: number, shift = 0): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.min(0.999, (x / 2147483648) ** 3 + shift);
  });
}

const base = scores(2000, 1);

function evidence(overrides: Partial<StageEvidence> = {}): StageEvidence {
  const champion = base;
  return {
    champion,
    challenger: champion.map((s) => Math.min(1, s * 1.01)),
    challengerBatchMs: Array.from({ length: 20 }, () => 12),
    labelled: champion.map((s, index) => ({ index, fraud: s > 0.6 })).slice(0, 500),
    elapsedMs: 60_000,
    ...overrides,
  };
}

describe('rollout gates', () => {
  it('pass when every gate holds over enough records, labels and time', () => {
    const verdict = evaluateGates(evidence(), policy, 30_000);
    assert.equal(verdict.status, 'pass', JSON.stringify(verdict.gates));
    assert.deepEqual(
      verdict.gates.map((g) => g.gate),
      ['records', 'duration', 'latency', 'non_finite', 'alert_rate', 'score_psi', 'auc'],
    );
  });

  it('hold, never pass, without enough records, time or matured labels', () => {
    const few = evidence({ champion: scores(10, 1), challenger: scores(10, 1), labelled: [] });
    assert.equal(evaluateGates(few, policy, 0).status, 'hold');
    assert.equal(evaluateGates(evidence(), policy, 120_000).status, 'hold', 'stage too short');
    const unlabelled = evaluateGates(evidence({ labelled: [] }), policy, 0);
    assert.equal(unlabelled.status, 'hold');
    assert.equal(unlabelled.gates.find((g) => g.gate === 'auc')?.status, 'hold');
  });

  it('fail on the first broken gate, with its figures', () => {
    const broken = evaluateGates(evidence({ challenger: base.map((s, i) => (i % 7 ? s : null)) }), policy, 0);
    assert.equal(broken.status, 'fail');
    assert.equal(broken.failed?.gate, 'non_finite');
    const slow = evaluateGates(evidence({ challengerBatchMs: [500, 600, 700] }), policy, 0);
    assert.equal(slow.failed?.gate, 'latency');
    const alerting = evaluateGates(evidence({ challenger: base.map((s) => Math.min(1, s + 0.4)) }), policy, 0);
    assert.equal(alerting.status, 'fail');
    assert.ok(['alert_rate', 'score_psi'].includes(alerting.failed?.gate ?? ''));
    const useless = evaluateGates(evidence({ challenger: base.map((s) => 1 - s) }), policy, 0);
    assert.equal(useless.status, 'fail');
  });

  it('passes an alert-rate delta exactly at its bound (24 vs 19 alerts in 1000 records, bound 0.005)', () => {
    // Scores of 0.9 alert (alertAt 0.5): the champion alerts on the first 19 records, the challenger on the first 24.
    const champion = Array.from({ length: 1000 }, (_, i) => (i < 19 ? 0.9 : 0.1));
    const challenger = Array.from({ length: 1000 }, (_, i) => (i < 24 ? 0.9 : 0.1));
    const verdict = evaluateGates(
      evidence({ champion, challenger, labelled: [] }),
      { ...policy, maxAlertRateDelta: 0.005 },
      0,
    );
    assert.equal(verdict.gates.find((g) => g.gate === 'alert_rate')?.status, 'pass');
    assert.equal(judgeAlertRates({ records: 1000, challengerOnly: 5, championOnly: 0 }, 0.005).status, 'pass');
  });

  it('holds an alert-rate delta beyond its bound by less than sampling error, and more records decide', () => {
    const alerting = (records: number, champion: number, challenger: number) => ({
      champion: Array.from({ length: records }, (_, i) => (i < champion ? 0.9 : 0.1)),
      challenger: Array.from({ length: records }, (_, i) => (i < challenger ? 0.9 : 0.1)),
      labelled: [],
    });
    const strict = { ...policy, maxAlertRateDelta: 0.005 };
    const gate = (e: Partial<StageEvidence>) =>
      evaluateGates(evidence(e), strict, 0).gates.find((g) => g.gate === 'alert_rate');
    // 27 vs 19 alerts in 1000: delta 0.008, 0.003 beyond the bound, sampling error ±0.0056: chance can do that.
    const few = gate(alerting(1000, 19, 27));
    assert.equal(few?.status, 'hold', few?.figure);
    assert.match(few?.figure ?? '', /±0\.0056 sampling, 1000 records/);
    // The same rates over 10,000 records: sampling error ±0.0018, the excess is real.
    assert.equal(gate(alerting(10_000, 190, 270))?.status, 'fail');
    // 40 vs 19 in 1000: 0.016 beyond the bound against ±0.0091: fails at the first verdict.
    assert.equal(gate(alerting(1000, 19, 40))?.status, 'fail');
    // A challenger that alerts on everything fails at once; one that never alerts too.
    assert.equal(gate(alerting(1000, 19, 1000))?.status, 'fail');
    assert.equal(gate(alerting(1000, 19, 0))?.status, 'fail');
    assert.equal(judgeAlertRates({ records: 0, challengerOnly: 0, championOnly: 0 }, 0.005).status, 'hold');
  });

  it('fails the AUC gate when the challenger ranks worse by more than the margin', () => {
    // Same distribution (PSI and alert rate hold) but the order of the labelled records is scrambled.
    const scrambled = [...base];
    for (let i = 0; i < 500; i += 2) [scrambled[i], scrambled[i + 1]] = [scrambled[i + 1]!, scrambled[i]!];
    const labelled = base.slice(0, 500).map((s, index) => ({ index, fraud: s > scrambled[index]! }));
    const verdict = evaluateGates(
      evidence({ challenger: scrambled, labelled }),
      { ...policy, maxAlertRateDelta: 1 },
      0,
    );
    assert.equal(verdict.gates.find((g) => g.gate === 'auc')?.status, 'fail');
  });

  it('judges the AUC shortfall against the paired sampling error: a fifth of the frauds missed fails', () => {
    const { champion, challenger, fraud } = missedFrauds(8);
    const verdict = evaluateGates(
      {
        champion,
        challenger,
        challengerBatchMs: [12],
        labelled: fraud.map((f, index) => ({ index, fraud: f })),
        elapsedMs: 60_000,
      },
      { ...policy, aucMargin: 0.01 },
      0,
    );
    const auc = verdict.gates.find((g) => g.gate === 'auc');
    assert.equal(auc?.status, 'fail', auc?.figure);
    assert.match(
      auc?.figure ?? '',
      /^AUC 0\.8523 vs champion 0\.9408 \(margin 0\.01 from the topology, ±0\.058 sampling, 2000 labelled, 40 frauds\)$/,
    );
  });
});

describe('rollout gates with bounds the rollout set for itself', () => {
  // A deliberate recalibration: scores ten times the champion's, the same order, no record crossing alertAt (0.5).
  const champion = scores(2000, 7).map((s) => s * 0.01);
  const recalibrated = evidence({
    champion,
    challenger: champion.map((s) => s * 10),
    labelled: champion.map((s, index) => ({ index, fraud: s > 0.006 })).slice(0, 500),
  });
  const psiGate = (verdict: ReturnType<typeof evaluateGates>) => verdict.gates.find((g) => g.gate === 'score_psi');

  it("fail a recalibrated challenger on score PSI with the topology's bound", () => {
    const verdict = evaluateGates(recalibrated, policy, 0);
    assert.equal(verdict.status, 'fail');
    assert.equal(verdict.failed?.gate, 'score_psi');
    assert.match(
      psiGate(verdict)?.figure ?? '',
      /^score PSI 1\.\d{4} against the champion \(bound 0\.25 from the topology\)$/,
    );
  });

  it('pass it when the rollout set a bound of its own above its PSI, and the figure says whose bound it is', () => {
    const own = rolloutGatePolicy(policy, { maxScorePsi: 2 });
    const verdict = evaluateGates(recalibrated, own, 0);
    assert.equal(verdict.status, 'pass', JSON.stringify(verdict.gates));
    assert.match(psiGate(verdict)?.figure ?? '', /\(bound 2 set by this rollout\)$/);
    assert.equal(psiGate(verdict)?.values['bound'], 2);
    // Only the bound it set: the others, and what they say of themselves, are the topology's.
    assert.deepEqual({ ...own, from: undefined }, { ...policy, maxScorePsi: 2, from: undefined });
    assert.match(verdict.gates.find((g) => g.gate === 'alert_rate')?.figure ?? '', /bound ±0\.01 from the topology/);
    assert.match(verdict.gates.find((g) => g.gate === 'auc')?.figure ?? '', /margin 0\.02 from the topology/);
  });

  it("judge the alert rate and the AUC by the rollout's bounds too, when it set them", () => {
    const own = rolloutGatePolicy(policy, { maxAlertRateDelta: 0.2, aucMargin: 0.5 });
    assert.deepEqual([own.maxScorePsi, own.maxAlertRateDelta, own.aucMargin], [0.25, 0.2, 0.5]);
    const verdict = evaluateGates(recalibrated, own, 0);
    assert.match(verdict.gates.find((g) => g.gate === 'alert_rate')?.figure ?? '', /bound ±0\.2 set by this rollout/);
    assert.match(verdict.gates.find((g) => g.gate === 'auc')?.figure ?? '', /margin 0\.5 set by this rollout/);
    assert.match(psiGate(verdict)?.figure ?? '', /bound 0\.25 from the topology/);
    // An alert-rate delta of 0.02 beyond the topology's 0.01 (and its sampling error) fails; within 0.2 it passes.
    const alerting = evidence({
      champion: Array.from({ length: 1000 }, (_, i) => (i < 19 ? 0.9 : 0.1)),
      challenger: Array.from({ length: 1000 }, (_, i) => (i < 49 ? 0.9 : 0.1)),
      labelled: [],
    });
    const alertGate = (p: typeof policy) => evaluateGates(alerting, p, 0).gates.find((g) => g.gate === 'alert_rate');
    assert.equal(alertGate(policy)?.status, 'fail');
    assert.equal(alertGate(own)?.status, 'pass');
  });

  it("are the topology's when the rollout set none (a rollout started before the field, too)", () => {
    for (const none of [undefined, {}]) {
      const same = rolloutGatePolicy(policy, none);
      assert.deepEqual(evaluateGates(recalibrated, same, 0), evaluateGates(recalibrated, policy, 0));
    }
  });
});

describe('score PSI', () => {
  it('is zero for the same sample, grows with shift, NaN without data', () => {
    const a = scores(5000, 3);
    assert.equal(scorePsi(a, a), 0);
    assert.ok(scorePsi(a, scores(5000, 3, 0.3)) > 0.25);
    assert.ok(scorePsi(a, scores(5000, 4)) < 0.1);
    assert.ok(Number.isNaN(scorePsi([], a)));
  });

  it('sees shifts among low scores, where fraud scores lie: bins are the champion deciles, not tenths of [0, 1]', () => {
    // Scores below 0.01, as most of a fraud model's are (card-fraud@1: 90 % below 0.002).
    const low = scores(5000, 5).map((s) => s * 0.01);
    const inflated = (k: number) => low.map((s) => Math.min(1, s * k));
    assert.ok(scorePsi(low, inflated(1.05)) < 0.1, `5 % higher: ${scorePsi(low, inflated(1.05))}`);
    assert.ok(scorePsi(low, inflated(4)) > 0.25, `four times the champion: ${scorePsi(low, inflated(4))}`);
    const constant = low.map(() => 0.001);
    assert.ok(scorePsi(low, constant) > 0.25, `a constant: ${scorePsi(low, constant)}`);
  });
});
