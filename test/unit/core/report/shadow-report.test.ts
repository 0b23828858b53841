import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LabelView, ScoreView } from '../../../../src/core/control/evidence.js';
import type { LabelClock } from '../../../../src/core/monitoring/label-rule.js';
import { cardPrecisionAtK } from '../../../../src/core/monitoring/eval-metrics.js';
import {
  buildShadowReport,
  formatChecklist,
  shadowReportRefusal,
  type ShadowBounds,
} from '../../../../src/core/report/shadow-report.js';
import { renderShadowHtml, renderShadowMarkdown } from '../../../../src/core/report/shadow-render.js';
import { PLOT } from '../../../../src/core/report/svg.js';
import { screenshot } from '../../../support/png.js';

const bounds: ShadowBounds = {
  minDurationMs: 3_600_000,
  minRecords: 1000,
  minAgreement: 0.9,
  latencyP99Ms: 100,
  maxAlertRateDelta: 0.02,
  aucMargin: 0.02,
  minLabelled: 200,
  alertAt: 0.05,
  blockAt: 0.5,
};

/** Read before any of the fixture's days is final: only reported labels count. */
const clock: LabelClock = { horizonDays: 10, streamTimeMs: Date.UTC(2026, 0, 8), nowMs: Date.UTC(2026, 0, 8) };
const fraudOf = (label: LabelView | undefined) => (label?.fraudReportsMs.length ?? 0) > 0;

/** Two days of records: champion decides, challenger in shadow_scores, a score a little different, labels for most. */
function fixture(): { scores: ScoreView[]; labels: Map<string, LabelView> } {
  const scores: ScoreView[] = [];
  const labels = new Map<string, LabelView>();
  let x = 7;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 3000; i++) {
    const fraud = rand() < 0.05;
    const champion = Math.min(0.999, fraud ? 0.3 + 0.6 * rand() : 0.08 * rand() ** 2);
    const challenger = Math.min(0.999, Math.max(0, champion + (rand() - 0.5) * 0.04));
    const id = `tx-${i}`;
    scores.push({
      transactionId: id,
      customerId: `c-${i % 400}`,
      scoredAtMs: Date.UTC(2026, 0, 5) + i * 60_000,
      eventTimeMs: Date.UTC(2026, 0, 5) + i * 60_000,
      score: champion,
      decision: 'APPROVE',
      model: 'card-fraud@1',
      route: 'champion',
      stage: -1,
      percent: 0,
      controlVersion: 1,
      reasonCodes: [],
      shadowScores: { 'card-fraud@2': challenger },
      batchId: `b-${Math.floor(i / 100)}`,
      modelLatencyMs: { 'card-fraud@1': 3 + (i % 5), 'card-fraud@2': 4 + (i % 7) },
    });
    // Reported after the fixture's last transaction (2:00 on 7 January): a report counts from its transaction on.
    const reportedAtMs = Date.UTC(2026, 0, 7, 12);
    if (i % 3 !== 0) {
      labels.set(id, {
        fraudReportsMs: fraud ? [reportedAtMs] : [],
        genuineReportedAtMs: fraud ? null : reportedAtMs,
      });
    }
  }
  return { scores, labels };
}

describe('shadow report', () => {
  const { scores, labels } = fixture();
  const report = buildShadowReport(
    scores,
    labels,
    { champion: 'card-fraud@1', challenger: 'card-fraud@2' },
    bounds,
    clock,
  );

  it('compares both models on the same records and fills the checklist from the data', () => {
    assert.equal(report.records, 3000);
    assert.ok(report.agreement > 0.9 && report.agreement < 1, `agreement ${report.agreement}`);
    assert.ok(Math.abs(report.deltaQuantiles.find((q) => q.q === 0.5)!.value) < 0.01);
    assert.equal(report.latency.challenger.batches, 30);
    assert.equal(report.labelled, 2000);
    assert.equal(report.days.length, 3);
    assert.ok(report.overall.championAuc > 0.9 && report.overall.challengerAuc > 0.9);
    const status = Object.fromEntries(report.checklist.map((c) => [c.item, c.status]));
    assert.deepEqual(status, {
      'shadow duration': 'pass',
      volume: 'pass',
      'decision agreement': 'pass',
      'latency within SLO': 'pass',
      'no non-finite scores': 'pass',
      'alert-rate delta within bounds': 'pass',
      'labelled metrics': 'pass',
    });
    const text = formatChecklist(report).join('\n');
    assert.match(text, /signed off by \(model owner\)/);
    assert.match(renderShadowMarkdown(report), /\| decision agreement \| \d+\.\d+ % \|/);
  });

  it('judges the alert rate as the rollout gate does: beyond the bound by less than sampling error is pending', () => {
    const models = { champion: 'card-fraud@1', challenger: 'card-fraud@2' };
    // The challenger scores as the champion does, but alerts on `extra` more records the champion lets through.
    const alertingOn = (extra: number) => {
      let left = extra;
      return scores.map((s) => {
        const lifted = s.score < bounds.alertAt && left-- > 0;
        return { ...s, shadowScores: { 'card-fraud@2': lifted ? 0.9 : s.score } };
      });
    };
    const itemOf = (extra: number) =>
      buildShadowReport(alertingOn(extra), labels, models, bounds, clock).checklist.find(
        (c) => c.item === 'alert-rate delta within bounds',
      );
    // 75 more in 3000: delta 2.5 %, 0.5 points beyond the ±2 % bound, within ±0.57 sampling.
    const near = itemOf(75);
    assert.equal(near?.status, 'pending', near?.figure);
    assert.match(near?.figure ?? '', /delta 2\.50 %, bound ±2\.00 %, ±0\.57 % sampling/);
    assert.equal(itemOf(150)?.status, 'fail', 'delta 5 %: 3 points beyond, against ±0.8 sampling');
    assert.equal(itemOf(30)?.status, 'pass');
  });

  it('judges the labelled metrics as the AUC gate does: a clear shortfall fails, one within sampling error waits', () => {
    const withChallenger = (pick: (s: ScoreView, i: number) => number) =>
      scores.map((s, i) => ({ ...s, shadowScores: { 'card-fraud@2': pick(s, i) } }));
    const models = { champion: 'card-fraud@1', challenger: 'card-fraud@2' };
    const statusOf = (r: ReturnType<typeof buildShadowReport>) =>
      r.checklist.find((c) => c.item === 'labelled metrics')?.status;
    // Ranking inverted: AUC near 0 against the champion's > 0.9, far beyond any sampling error.
    assert.equal(
      statusOf(
        buildShadowReport(
          withChallenger((s) => 1 - s.score),
          labels,
          models,
          bounds,
          clock,
        ),
      ),
      'fail',
    );
    // A few hundred labelled records with a handful of frauds, the challenger a few AUC points behind after the
    // margin: that much moves on its own, so the item waits for more labels instead of failing.
    const few = new Map([...labels].slice(0, 300));
    const frauds = [...few.values()].filter(fraudOf).length;
    assert.ok(frauds >= 3 && frauds <= 40, `${frauds} frauds`);
    const noisy = buildShadowReport(
      withChallenger((s, i) => (fraudOf(few.get(s.transactionId)) && i % 4 === 0 ? 0.01 : s.score)),
      few,
      models,
      bounds,
      clock,
    );
    const shortfall = noisy.overall.championAuc - bounds.aucMargin - noisy.overall.challengerAuc;
    assert.ok(shortfall > 0, `the challenger trails beyond the margin (${shortfall})`);
    assert.equal(statusOf(noisy), 'pending');
  });

  it('fails the items the data contradicts and leaves labelled metrics pending without labels', () => {
    const broken = scores.map((s, i) =>
      i % 10 ? s : { ...s, shadowScores: {}, reasonCodes: ['CHALLENGER_FAILED:non_finite'] },
    );
    const r = buildShadowReport(
      broken,
      new Map(),
      { champion: 'card-fraud@1', challenger: 'card-fraud@2' },
      bounds,
      clock,
    );
    const status = Object.fromEntries(r.checklist.map((c) => [c.item, c.status]));
    assert.equal(status['no non-finite scores'], 'fail');
    assert.equal(status['labelled metrics'], 'pending');
  });

  it('reads labels as the AUC gate does: with fraud reports only, labelled metrics wait for the days to be final', () => {
    const fraudOnly = new Map([...labels].filter(([, label]) => fraudOf(label)));
    const models = { champion: 'card-fraud@1', challenger: 'card-fraud@2' };
    const statusAt = (ms: number) =>
      buildShadowReport(scores, fraudOnly, models, bounds, { ...clock, streamTimeMs: ms, nowMs: ms }).checklist.find(
        (c) => c.item === 'labelled metrics',
      )?.status;
    assert.equal(statusAt(clock.streamTimeMs), 'pending', 'frauds only: one class');
    // The fixture's last day, 7 January, is final 10 days after it ends.
    assert.equal(statusAt(Date.UTC(2026, 0, 18)), 'pass');
  });

  it('gives a report to the earliest use of a transaction id only, as the evaluator and the AUC gate do', () => {
    const models = { champion: 'card-fraud@1', challenger: 'card-fraud@2' };
    const fraudIds = new Set([...labels].filter(([, label]) => fraudOf(label)).map(([id]) => id));
    // Every transaction id used again on 7 January, at 6:00 (beyond the duplicate horizon: new transactions); the
    // reports (12:00 that day) come after both uses and are about the first.
    const again = scores.map((s, i) => ({
      ...s,
      eventTimeMs: Date.UTC(2026, 0, 7, 6) + i,
      scoredAtMs: Date.UTC(2026, 0, 7, 6) + i,
    }));
    const fraudsOf = (r: ReturnType<typeof buildShadowReport>) => r.days.reduce((sum, d) => sum + d.frauds, 0);
    const once = buildShadowReport(scores, labels, models, bounds, clock);
    const twice = buildShadowReport([...scores, ...again], labels, models, bounds, clock);
    assert.ok(fraudsOf(once) > 0 && fraudsOf(once) === fraudIds.size, 'every fraud report joins its first use');
    assert.equal(twice.records, 2 * once.records);
    assert.equal(fraudsOf(twice), fraudsOf(once), 'the second uses take none of the reports');
  });

  it("computes each day's AP and card precision@k as the evaluator does: tied scores are one threshold, in any order", () => {
    // One day, four cards, the challenger's scores tied in pairs (the fallback score and float32 scores tie often).
    const rows = [
      { card: 'd', score: 0.9, fraud: true },
      { card: 'b', score: 0.5, fraud: true },
      { card: 'a', score: 0.5, fraud: false },
      { card: 'c', score: 0.05, fraud: false },
    ];
    const dayOf = (order: typeof rows) => {
      const views = order.map((row, i) => ({
        ...scores[0]!,
        transactionId: `tie-${row.card}`,
        customerId: row.card,
        eventTimeMs: Date.UTC(2026, 0, 5, i),
        shadowScores: { 'card-fraud@2': row.score },
      }));
      const reported = new Map(
        order.map((row) => [
          `tie-${row.card}`,
          {
            fraudReportsMs: row.fraud ? [Date.UTC(2026, 0, 6)] : [],
            genuineReportedAtMs: row.fraud ? null : Date.UTC(2026, 0, 6),
          },
        ]),
      );
      const day = buildShadowReport(
        views,
        reported,
        { champion: 'card-fraud@1', challenger: 'card-fraud@2' },
        bounds,
        clock,
      ).days[0]!;
      return day.challenger;
    };
    // scikit-learn's average_precision_score([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.05]): the tie at 0.5 is one threshold,
    // recall 1/2 -> 1 at precision 2/3: 0.5 * 1 + 0.5 * 2/3.
    const expectedAp = 0.5 + 0.5 * (2 / 3);
    for (const order of [rows, [...rows].reverse()]) {
      const challenger = dayOf(order);
      assert.ok(Math.abs(challenger.ap - expectedAp) < 1e-12, `AP ${challenger.ap}`);
    }
    // Card precision@k ranks cards by score, ties by card id: at k = 100 all four count (2 of 4); the tie decides
    // when k cuts through it, checked where the rule lives (eval-metrics), with the same rows.
    assert.equal(dayOf(rows).cardPrecisionAt100, 0.5);
    const ranked = rows.map((row) => ({ customerId: row.card, score: row.score, isFraud: row.fraud, day: 0 }));
    assert.equal(cardPrecisionAtK(ranked, 2).mean, 0.5, 'd (fraud) and a (genuine, before b by id)');
    assert.equal(cardPrecisionAtK([...ranked].reverse(), 2).mean, 0.5);
  });

  it('renders self-contained HTML whose plots show data in headless Chromium', () => {
    const html = renderShadowHtml(report);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no scripts, no external assets');
    const plots = [...html.matchAll(/data-plot="([a-z-]+)"/g)].map((m) => m[1]);
    assert.deepEqual(plots, [
      'scatter',
      'deltas',
      'alert-rate',
      'latency',
      'auc-per-day',
      'ap-per-day',
      'card-precision-per-day',
    ]);
    assert.ok((html.match(/<circle /g) ?? []).length > 1000, 'scatter points drawn');
    assert.ok((html.match(/<polyline /g) ?? []).length >= 6, 'per-day lines drawn');

    const dir = mkdtempSync(join(tmpdir(), 'shadow-report-'));
    writeFileSync(join(dir, 'report.html'), html);
    const { width, pixels: rgba } = screenshot(join(dir, 'report.html'), { width: 1100, height: 1400 });
    const at = (x: number, y: number): [number, number, number] => [
      rgba[(y * width + x) * 4]!,
      rgba[(y * width + x) * 4 + 1]!,
      rgba[(y * width + x) * 4 + 2]!,
    ];
    // The first grid line (#dddddd) from the top is the first plot's frame, PLOT.margin.top into it.
    let gridTop = -1;
    for (let y = 0; y < 600 && gridTop < 0; y++) {
      for (let x = 0; x < 560; x++) {
        const [r, g, b] = at(x, y);
        if (r === 221 && g === 221 && b === 221) {
          gridTop = y;
          break;
        }
      }
    }
    assert.ok(gridTop > 0, 'a plot grid is visible');
    const colored = plots.map((_, k) => {
      const x0 = 16 + (k % 2) * (PLOT.width + 12);
      const y0 = gridTop - PLOT.margin.top + Math.floor(k / 2) * (PLOT.height + 12);
      let n = 0;
      for (let y = y0; y < y0 + PLOT.height; y++) {
        for (let x = x0; x < x0 + PLOT.width; x++) {
          const [r, g, b] = at(x, y);
          if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
        }
      }
      return n;
    });
    for (const [k, n] of colored.entries()) assert.ok(n > 100, `plot ${plots[k]} shows data: ${n} coloured pixels`);
  });
});

describe('shadow report: no evidence, no report', () => {
  const { scores, labels } = fixture();
  const reportOf = (views: readonly ScoreView[], champion: string, challenger: string) =>
    buildShadowReport(views, labels, { champion, challenger }, bounds, clock);
  const since = Date.UTC(2026, 0, 5);

  it('refuses when no score record names the challenger, saying so for the window read', () => {
    // card-fraud@9 was never shadowed: every figure would be n/a, yet "no non-finite scores" would pass on 0 vs 0.
    const report = reportOf(scores, 'card-fraud@1', 'card-fraud@9');
    assert.equal(report.records, 0);
    assert.equal(
      shadowReportRefusal(scores, report, since),
      'no record of the challenger card-fraud@9 in the window read (3000 score records read since ' +
        '2026-01-05T00:00:00.000Z (--since)): no score names it, so it was not shadowed then; name the challenger ' +
        'that was with --challenger, or read further back with --since. No report written',
    );
    assert.match(
      shadowReportRefusal([], reportOf([], 'card-fraud@1', 'card-fraud@2'), 0) ?? '',
      /^no record of the challenger card-fraud@2 in the window read \(0 score records read from the whole output topic\)/,
    );
  });

  it('refuses when records name the challenger but none was scored by both it and the champion named', () => {
    const report = reportOf(scores, 'card-fraud@3', 'card-fraud@2');
    assert.equal(report.records, 0);
    assert.match(
      shadowReportRefusal(scores, report, 0) ?? '',
      /^no record in the window read \(3000 score records read from the whole output topic\) was scored by both the challenger card-fraud@2 and the champion card-fraud@3; name the champion it was shadowed against with --champion\. No report written$/,
    );
  });

  it('lets a report with records scored by both be written, a challenger that failed on every one included', () => {
    assert.equal(shadowReportRefusal(scores, reportOf(scores, 'card-fraud@1', 'card-fraud@2'), since), null);
    // Failed everywhere: no shadow score, no run time, only the reason code. Evidence against it, to be reported.
    const failed = scores.map((s) => ({
      ...s,
      shadowScores: {},
      modelLatencyMs: { 'card-fraud@1': 3 },
      reasonCodes: ['CHALLENGER_FAILED:non_finite'],
    }));
    const report = reportOf(failed, 'card-fraud@1', 'card-fraud@2');
    assert.equal(report.records, 3000);
    assert.equal(shadowReportRefusal(failed, report, since), null);
    assert.equal(report.checklist.find((c) => c.item === 'no non-finite scores')?.status, 'fail');
  });
});
