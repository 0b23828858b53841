import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evaluateGates,
  gateRetention,
  INITIAL_SERVING_STATE,
  STAGE_SIGHTING_MARGIN_MS,
  stageEvidence,
  type GatePolicy,
  type LabelView,
  type ScoreView,
} from '../../../../src/core/control/index.js';
import { rolloutStage } from './rollout-fixture.js';
import { DelayedLabelJoin } from '../../../../src/core/monitoring/evaluation.js';
import { dayFinalAtMs, foldLabelReport, type LabelClock } from '../../../../src/core/monitoring/label-rule.js';

const DAY = 86_400_000;
const D0 = 20_000; // a UTC day index
const horizonDays = 3;
/** The instant day D0 becomes final: its end plus the horizon. */
const D0_FINAL = (D0 + 1 + horizonDays) * DAY;
const CHAMPION = 'card-fraud@1';
const CHALLENGER = 'card-fraud@2';
const STAGE = { champion: CHAMPION, challenger: CHALLENGER, stageIndex: 1, startedAtMs: D0 * DAY };

const policy: GatePolicy = {
  minRecords: 100,
  latencyP99Ms: 100,
  maxAlertRateDelta: 0.05,
  maxScorePsi: 0.25,
  aucMargin: 0.02,
  minLabelled: 100,
  alertAt: 0.5,
};

const isFraud = (i: number) => i % 10 === 0;
const id = (day: number, i: number) => `tx-${day}-${i}`;

/** 200 records of `day` routed to the challenger in stage 1, both models ranking the frauds (every 10th) on top. */
function stageRecords(day = D0, n = 200): ScoreView[] {
  return Array.from({ length: n }, (_, i) => {
    const score = isFraud(i) ? 0.6 + (i % 7) / 20 : ((i * 37) % 100) / 250;
    return {
      transactionId: id(day, i),
      customerId: `c-${i}`,
      scoredAtMs: day * DAY + i * 60_000,
      eventTimeMs: day * DAY + i * 60_000,
      score: Math.min(0.999, score * 1.01),
      decision: 'APPROVE',
      model: CHALLENGER,
      route: 'challenger',
      stage: 1,
      percent: 50,
      controlVersion: 3,
      reasonCodes: [],
      shadowScores: { [CHAMPION]: score },
      batchId: `b-${day}-${Math.floor(i / 50)}`,
      modelLatencyMs: { [CHAMPION]: 4, [CHALLENGER]: 5 },
    };
  });
}

type Report = { readonly transactionId: string; readonly isFraud: boolean; readonly reportedAtMs: number };

/** The labels as the score follower keeps them: every report of a transaction folded, in arrival order. */
function folded(reports: readonly Report[]): Map<string, LabelView> {
  const labels = new Map<string, LabelView>();
  for (const r of reports) labels.set(r.transactionId, foldLabelReport(labels.get(r.transactionId), r));
  return labels;
}

/** Fraud reports only (a supported labels topic), each a day after its transaction. */
function fraudReports(day = D0, n = 200): Report[] {
  return Array.from({ length: n }, (_, i) => i)
    .filter(isFraud)
    .map((i) => ({ transactionId: id(day, i), isFraud: true, reportedAtMs: day * DAY + i * 60_000 + DAY }));
}

/** The delayed-label evaluator's join over the same scores (as its logged predictions) and reports. */
function evaluatorJoin(scores: readonly ScoreView[], reports: readonly Report[]): DelayedLabelJoin {
  const join = new DelayedLabelJoin({ horizonDays, windowDays: 7 });
  for (const s of scores) {
    join.addPrediction({
      transactionId: s.transactionId,
      eventTimeMs: s.eventTimeMs,
      score: s.score,
      decision: 'APPROVE',
      modelName: 'card-fraud',
      modelVersion: '2',
      customerId: s.customerId ?? '',
      amount: 10,
    });
  }
  reports.forEach((r) => join.addLabel(r));
  return join;
}

const clockAt = (ms: number, nowMs = ms): LabelClock => ({ horizonDays, streamTimeMs: ms, nowMs });

function evidenceAt(scores: readonly ScoreView[], labels: ReadonlyMap<string, LabelView>, clock: LabelClock) {
  return stageEvidence(scores, labels, { ...STAGE, ...clock });
}

const aucGate = (scores: readonly ScoreView[], labels: ReadonlyMap<string, LabelView>, clock: LabelClock) =>
  evaluateGates(evidenceAt(scores, labels, clock), policy, 0).gates.find((g) => g.gate === 'auc');

describe('stage evidence: labels read as the delayed-label evaluator reads them', () => {
  it('with fraud reports only, judges the AUC gate once the records have matured', () => {
    const scores = stageRecords();
    const labels = folded(fraudReports());
    const before = aucGate(scores, labels, clockAt(D0_FINAL - 1));
    assert.equal(before?.status, 'hold', 'only the frauds are known before the day is final');
    assert.deepEqual(before?.values, { labelled: 20, frauds: 20 });
    const after = aucGate(scores, labels, clockAt(D0_FINAL));
    assert.equal(after?.status, 'pass', after?.figure);
    assert.match(after?.figure ?? '', /200 labelled, 20 frauds/);
  });

  it('keeps a fraud whatever genuine report comes before or after it', () => {
    const scores = stageRecords();
    const fraud = fraudReports();
    const genuine = (r: Report, days: number): Report => ({
      ...r,
      isFraud: false,
      reportedAtMs: r.reportedAtMs + days * DAY,
    });
    const orders = {
      'genuine after': fraud.flatMap((r) => [r, genuine(r, 1)]),
      'genuine before': fraud.flatMap((r) => [genuine(r, -0.5), r]),
    };
    for (const [order, reports] of Object.entries(orders)) {
      // Before the day is final: the reported transactions are known, and all of them are frauds.
      const { labelled } = evidenceAt(scores, folded(reports), clockAt(D0_FINAL - 1));
      assert.equal(labelled.length, 20, order);
      assert.ok(
        labelled.every((l) => l.fraud),
        order,
      );
    }
  });

  it('does not count a fraud reported after its day is final: the transaction is genuine then', () => {
    const scores = stageRecords();
    const late = fraudReports().map((r, k) => ({ ...r, reportedAtMs: k % 2 ? D0_FINAL + 1 : D0_FINAL }));
    const before = evidenceAt(scores, folded(late), clockAt(D0_FINAL - 1));
    // Reported at the horizon counts (as in the evaluator); reported after it is no label before the day is final.
    assert.equal(before.labelled.length, 10);
    assert.ok(before.labelled.every((l) => l.fraud));
    const after = evidenceAt(scores, folded(late), clockAt(D0_FINAL + 1));
    assert.equal(after.labelled.length, 200);
    assert.equal(after.labelled.filter((l) => l.fraud).length, 10);
    // The earliest fraud report decides: a repeat after the horizon does not make one within it late.
    const repeated = fraudReports().flatMap((r) => [r, { ...r, reportedAtMs: D0_FINAL + DAY }]);
    assert.equal(evidenceAt(scores, folded(repeated), clockAt(D0_FINAL)).labelled.filter((l) => l.fraud).length, 20);
  });

  it('does not count unlabelled records whose day is not final, on either clock', () => {
    const scores = [...stageRecords(D0), ...stageRecords(D0 + 1)];
    const labels = folded([...fraudReports(D0), ...fraudReports(D0 + 1)]);
    const d0Final = evidenceAt(scores, labels, clockAt(D0_FINAL));
    assert.equal(d0Final.labelled.length, 200 + 20, 'day D0 all, day D0 + 1 its frauds only');
    assert.ok(d0Final.labelled.every((l) => l.index < 200 || l.fraud));
    // A wall clock behind stream time (a mis-dated report ran it ahead) finalises nothing.
    const ahead = evidenceAt(scores, labels, clockAt(D0_FINAL + 10 * DAY, D0_FINAL - 1));
    assert.equal(ahead.labelled.length, 40);
    // And a wall clock long past a replayed history finalises nothing its stream has not reached.
    const replayed = evidenceAt(scores, labels, clockAt(D0_FINAL - 1, D0_FINAL + 365 * DAY));
    assert.equal(replayed.labelled.length, 40);
  });

  it('agrees with the delayed-label evaluator on a final day', () => {
    const scores = stageRecords();
    const reports: Report[] = scores.flatMap((s, i): Report[] => {
      const at = (days: number) => s.eventTimeMs + days * DAY;
      if (i % 10 === 0) return [{ transactionId: s.transactionId, isFraud: true, reportedAtMs: at(1) }];
      if (i % 10 === 1)
        return [{ transactionId: s.transactionId, isFraud: true, reportedAtMs: dayFinalAtMs(D0, horizonDays) + 1 }];
      if (i % 10 === 2) {
        return [
          { transactionId: s.transactionId, isFraud: true, reportedAtMs: at(2) },
          { transactionId: s.transactionId, isFraud: false, reportedAtMs: at(3) },
        ];
      }
      if (i % 10 === 3) return [{ transactionId: s.transactionId, isFraud: false, reportedAtMs: at(1) }];
      return [];
    });
    const join = evaluatorJoin(scores, reports);
    const [day] = join.advance(D0_FINAL);
    const { labelled } = evidenceAt(scores, folded(reports), clockAt(D0_FINAL));
    assert.deepEqual(
      { records: labelled.length, frauds: labelled.filter((l) => l.fraud).length },
      { records: day?.metrics.records, frauds: day?.metrics.frauds },
    );
    assert.equal(day?.metrics.frauds, 40);
  });

  it('gives a report to the earliest use of a transaction id, as the evaluator does', () => {
    // The ids of day D0 come back two days later (beyond the duplicate horizon: new transactions); each fraud's one
    // report is made after both uses. It is about the first: the training table gives an id's labels to its first
    // recording only.
    const D2 = D0 + 2;
    const first = stageRecords();
    const again = stageRecords(D2).map((s, i) => ({ ...s, transactionId: id(D0, i) }));
    const scores = [...first, ...again];
    const reports: Report[] = again
      .filter((_, i) => isFraud(i))
      .map((s) => ({ transactionId: s.transactionId, isFraud: true, reportedAtMs: s.eventTimeMs + DAY }));
    const join = evaluatorJoin(scores, reports);
    const finalAt = dayFinalAtMs(D2, horizonDays);
    const days = join.advance(finalAt);
    assert.deepEqual(
      days.map((d) => d.metrics.frauds),
      [20, 0],
    );
    const { labelled } = evidenceAt(scores, folded(reports), clockAt(finalAt));
    assert.equal(labelled.length, 400);
    const fraudDays = labelled.filter((l) => l.fraud).map((l) => Math.floor((scores[l.index]?.eventTimeMs ?? 0) / DAY));
    assert.deepEqual(new Set(fraudDays), new Set([D0]));
    assert.equal(fraudDays.length, 20);
  });
});

describe('stage evidence: a late score is no earlier use', () => {
  it('gives the report to the later use when the first one was read late, as the evaluator does', () => {
    const [first] = stageRecords(D0, 1) as [ScoreView];
    const again = { ...first, eventTimeMs: first.eventTimeMs + 2 * DAY, scoredAtMs: first.scoredAtMs + 2 * DAY };
    const reports = [{ transactionId: first.transactionId, isFraud: true, reportedAtMs: again.eventTimeMs + DAY }];
    const { labelled } = evidenceAt([{ ...first, late: true }, again], folded(reports), clockAt(D0_FINAL + 2 * DAY));
    assert.deepEqual(labelled, [{ index: 1, fraud: true }]);
  });
});

describe('stage evidence when the registry’s champion moves during the stage', () => {
  /** The champion the stage started against; the registry's champion moves from it to CHAMPION on day D0 + 1. */
  const FORMER = 'card-fraud@0';
  const nonFinite = (gates: ReturnType<typeof evaluateGates>) => gates.gates.find((g) => g.gate === 'non_finite');

  /** Day D0: decided by the challenger beside FORMER, or by FORMER beside the challenger. */
  const besideFormer = stageRecords(D0, 800).map((s, i): ScoreView =>
    i % 2
      ? { ...s, shadowScores: { [FORMER]: s.score }, modelLatencyMs: { [FORMER]: 4, [CHALLENGER]: 5 } }
      : {
          ...s,
          model: FORMER,
          route: 'champion',
          shadowScores: { [CHALLENGER]: s.score },
          modelLatencyMs: { [FORMER]: 4, [CHALLENGER]: 5 },
        },
  );
  /**
   * Day D0 + 1, beside CHAMPION: the challenger fails on 3 records in 10 (CHAMPION decides those), CHAMPION on 1 in
   * 100 of those the challenger decides (its shadow score missing, its batch run time there).
   */
  const besideChampion = stageRecords(D0 + 1, 1000).map((s, i): ScoreView => {
    if (i % 10 < 3) {
      const score = s.shadowScores[CHAMPION] ?? 0;
      return {
        ...s,
        model: CHAMPION,
        route: 'champion',
        score,
        reasonCodes: ['CHALLENGER_FAILED:non_finite'],
        shadowScores: {},
      };
    }
    return i % 100 === 5 ? { ...s, shadowScores: {} } : s;
  });

  it('leaves out the records scored beside the former champion, not counting them as failures of the new one', () => {
    const evidence = evidenceAt([...besideFormer, ...besideChampion], new Map(), clockAt(D0_FINAL));
    assert.equal(evidence.champion.length, 1000, 'only the records scored beside CHAMPION');
    assert.equal(evidence.champion.filter((s) => s === null).length, 10, "CHAMPION's own failures still count");
    assert.equal(evidence.challenger.filter((s) => s === null).length, 300);
  });

  it('fails the non_finite gate for a challenger failing on 30 % of the records judged', () => {
    const gate = nonFinite(
      evaluateGates(evidenceAt([...besideFormer, ...besideChampion], new Map(), clockAt(D0_FINAL)), policy, 0),
    );
    assert.equal(gate?.status, 'fail', gate?.figure);
    assert.deepEqual(gate?.values, { challenger: 300, champion: 10 });
  });
});

describe('gate retention: the scores the rollout controller can still need', () => {
  const nowMs = (D0 + 1) * DAY;
  const stage = rolloutStage(D0 * DAY + 3_600_000);
  const sinceLiveStage = { scoredFromMs: stage.stageStartedAtMs, rolloutOnly: true };
  const forAStageUnseen = { scoredFromMs: nowMs - STAGE_SIGHTING_MARGIN_MS, rolloutOnly: true };

  it('keeps the live stage’s scores since it started, also while the kill switch holds it', () => {
    assert.deepEqual(gateRetention({ ...INITIAL_SERVING_STATE, challenger: stage }, nowMs), sinceLiveStage);
    const killed = {
      ...INITIAL_SERVING_STATE,
      challenger: stage,
      killSwitch: { on: true, reason: 'drill', target: CHAMPION, sinceMs: nowMs },
    };
    assert.deepEqual(gateRetention(killed, nowMs), sinceLiveStage);
  });

  it('keeps only the last scores of some stage when none is live, or the live one is paused (it restarts on resume)', () => {
    assert.deepEqual(gateRetention(INITIAL_SERVING_STATE, nowMs), forAStageUnseen);
    assert.deepEqual(
      gateRetention({ ...INITIAL_SERVING_STATE, challenger: { ...stage, paused: true } }, nowMs),
      forAStageUnseen,
    );
    const shadow = { ...stage, mode: 'shadow' as const, stageIndex: -1, percent: 0 };
    assert.deepEqual(gateRetention({ ...INITIAL_SERVING_STATE, challenger: shadow }, nowMs), forAStageUnseen);
  });
});
