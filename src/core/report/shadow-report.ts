import { earliestUses, labelOfScore, pairOf, type LabelView, type ScoreView } from '../control/evidence.js';
import { type AlertRateJudgement, judgeAlertRates, pairedAlerts } from '../control/gates.js';
import { judgeAucShortfall } from '../control/auc-judgement.js';
import { pairedAuc, type PairedAuc } from '../monitoring/delong.js';
import { averagePrecision, cardPrecisionAtK } from '../monitoring/eval-metrics.js';
import type { LabelClock } from '../monitoring/label-rule.js';
import { quantile, rocAuc } from './score-report.js';

/** Bounds of the shadow checklist (from the topology: serving SLO, rollout gates; duration from the operator). */
export interface ShadowBounds {
  readonly minDurationMs: number;
  readonly minRecords: number;
  readonly minAgreement: number;
  readonly latencyP99Ms: number;
  readonly maxAlertRateDelta: number;
  readonly aucMargin: number;
  readonly minLabelled: number;
  readonly alertAt: number;
  readonly blockAt: number;
}

export interface DayMetrics {
  readonly day: string;
  readonly labelled: number;
  readonly frauds: number;
  readonly champion: { readonly auc: number; readonly ap: number; readonly cardPrecisionAt100: number };
  readonly challenger: { readonly auc: number; readonly ap: number; readonly cardPrecisionAt100: number };
}

export interface ChecklistItem {
  readonly item: string;
  readonly status: 'pass' | 'fail' | 'pending';
  readonly figure: string;
}

export interface ShadowReport {
  readonly champion: string;
  readonly challenger: string;
  readonly records: number;
  readonly fromMs: number | null;
  readonly toMs: number | null;
  readonly agreement: number;
  readonly deltaQuantiles: readonly { readonly q: number; readonly value: number }[];
  /** Up to 2,000 (champion, challenger) points, evenly sampled. */
  readonly scatter: readonly (readonly [number, number])[];
  readonly deltas: readonly number[];
  readonly alertRate: { readonly champion: number; readonly challenger: number };
  readonly failures: { readonly champion: number; readonly challenger: number };
  readonly latency: {
    readonly champion: { readonly p50: number; readonly p99: number; readonly batches: number };
    readonly challenger: { readonly p50: number; readonly p99: number; readonly batches: number };
  };
  readonly labelled: number;
  readonly overall: { readonly championAuc: number; readonly challengerAuc: number };
  readonly days: readonly DayMetrics[];
  readonly checklist: readonly ChecklistItem[];
}

const QUANTILES = [0.01, 0.1, 0.5, 0.9, 0.99];
const decisionOf = (score: number, bounds: ShadowBounds) =>
  score >= bounds.blockAt ? 'BLOCK' : score >= bounds.alertAt ? 'REVIEW' : 'APPROVE';

function latencyOf(scores: readonly ScoreView[], model: string) {
  const batches = new Map<string, number>();
  for (const s of scores) {
    const ms = s.modelLatencyMs[model];
    if (ms !== undefined) batches.set(s.batchId, ms);
  }
  const sorted = [...batches.values()].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), batches: sorted.length };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'n/a');
const num = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/**
 * The shadow report: both models on the same records, and the checklist filled in from the data. Labels are read as
 * the AUC gate and the evaluator read them (labelOf, against `clock`).
 */
export function buildShadowReport(
  scores: readonly ScoreView[],
  labels: ReadonlyMap<string, LabelView>,
  models: { readonly champion: string; readonly challenger: string },
  bounds: ShadowBounds,
  clock: LabelClock,
  /** The earliest use of each transaction id (ScoreStreams.firstUses); else that of the scores given. */
  firstUses?: ReadonlyMap<string, number>,
): ShadowReport {
  const pairs: { view: ScoreView; champion: number | null; challenger: number | null }[] = [];
  for (const view of scores) {
    const pair = pairOf(view, models.champion, models.challenger);
    if (pair) pairs.push({ view, champion: pair[0], challenger: pair[1] });
  }
  const both = pairs.filter((p) => p.champion !== null && p.challenger !== null) as {
    view: ScoreView;
    champion: number;
    challenger: number;
  }[];
  const agree = both.filter((p) => decisionOf(p.champion, bounds) === decisionOf(p.challenger, bounds)).length;
  const deltas = both.map((p) => p.challenger - p.champion);
  const sortedDeltas = [...deltas].sort((a, b) => a - b);
  const stride = Math.max(1, Math.ceil(both.length / 2000));
  const alerts = (pick: (p: (typeof both)[number]) => number) =>
    both.length === 0 ? Number.NaN : both.filter((p) => pick(p) >= bounds.alertAt).length / both.length;
  const alertRate = { champion: alerts((p) => p.champion), challenger: alerts((p) => p.challenger) };
  const latency = { champion: latencyOf(scores, models.champion), challenger: latencyOf(scores, models.challenger) };
  const failures = {
    champion: pairs.filter((p) => p.champion === null).length,
    challenger: pairs.filter((p) => p.challenger === null).length,
  };

  const earliest = firstUses ?? earliestUses(scores);
  const labelledRows = both.flatMap((p) => {
    const fraud = labelOfScore(p.view, labels, clock, earliest);
    return fraud === null ? [] : [{ ...p, fraud, day: new Date(p.view.eventTimeMs).toISOString().slice(0, 10) }];
  });
  const byDay = new Map<string, typeof labelledRows>();
  for (const row of labelledRows) byDay.set(row.day, [...(byDay.get(row.day) ?? []), row]);
  const metricsOf = (rows: typeof labelledRows, pick: (r: (typeof labelledRows)[number]) => number) => ({
    auc: rocAuc(
      rows.map(pick),
      rows.map((r) => r.fraud),
    ),
    ap: averagePrecision(
      rows.map(pick),
      rows.map((r) => r.fraud),
    ),
    // One day's rows: card precision@100 as the evaluator and the trainer compute it (ties by card id).
    cardPrecisionAt100: cardPrecisionAtK(
      rows.map((r) => ({
        customerId: r.view.customerId ?? r.view.transactionId,
        score: pick(r),
        isFraud: r.fraud,
        day: 0,
      })),
    ).mean,
  });
  const days: DayMetrics[] = [...byDay.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, rows]) => ({
      day,
      labelled: rows.length,
      frauds: rows.filter((r) => r.fraud).length,
      champion: metricsOf(rows, (r) => r.champion),
      challenger: metricsOf(rows, (r) => r.challenger),
    }));
  const pairedOverall = pairedAuc(
    labelledRows.map((r) => r.champion),
    labelledRows.map((r) => r.challenger),
    labelledRows.map((r) => r.fraud),
  );
  const overall = { championAuc: pairedOverall.championAuc, challengerAuc: pairedOverall.challengerAuc };
  const times = pairs.map((p) => p.view.scoredAtMs);
  const fromMs = times.length ? Math.min(...times) : null;
  const toMs = times.length ? Math.max(...times) : null;
  const durationMs = fromMs === null || toMs === null ? 0 : toMs - fromMs;
  const agreement = both.length === 0 ? Number.NaN : agree / both.length;
  const check = (ok: boolean): ChecklistItem['status'] => (ok ? 'pass' : 'fail');
  const frauds = labelledRows.filter((r) => r.fraud).length;
  const labelsMatured = labelledRows.length >= bounds.minLabelled && frauds > 0 && frauds < labelledRows.length;

  const checklist: ChecklistItem[] = [
    {
      item: 'shadow duration',
      status: check(durationMs >= bounds.minDurationMs),
      figure: `${(durationMs / 3_600_000).toFixed(2)} h (minimum ${(bounds.minDurationMs / 3_600_000).toFixed(2)} h)`,
    },
    {
      item: 'volume',
      status: check(pairs.length >= bounds.minRecords),
      figure: `${pairs.length} records scored by both (minimum ${bounds.minRecords})`,
    },
    {
      item: 'decision agreement',
      status: check(agreement >= bounds.minAgreement),
      figure: `${pct(agreement)} of decisions agree (minimum ${pct(bounds.minAgreement)})`,
    },
    {
      item: 'latency within SLO',
      status: check(latency.challenger.p99 <= bounds.latencyP99Ms),
      figure: `challenger batch p99 ${num(latency.challenger.p99, 1)} ms, champion ${num(latency.champion.p99, 1)} ms (SLO ${bounds.latencyP99Ms} ms)`,
    },
    {
      item: 'no non-finite scores',
      status: check(failures.challenger <= failures.champion),
      figure: `challenger failed on ${failures.challenger} records, champion on ${failures.champion}`,
    },
    alertRateItem(
      judgeAlertRates(
        pairedAlerts(
          both.map((p) => [p.champion, p.challenger] as const),
          bounds.alertAt,
        ),
        bounds.maxAlertRateDelta,
      ),
      alertRate,
      bounds.maxAlertRateDelta,
    ),
    labelsMatured
      ? labelledItem(pairedOverall, frauds, labelledRows.length, bounds.aucMargin)
      : {
          item: 'labelled metrics',
          status: 'pending',
          figure: `${labelledRows.length} labelled records, ${frauds} frauds: labels have not matured (need ${bounds.minLabelled} with both classes)`,
        },
  ];

  return {
    ...models,
    records: pairs.length,
    fromMs,
    toMs,
    agreement,
    deltaQuantiles: QUANTILES.map((q) => ({ q, value: quantile(sortedDeltas, q) })),
    scatter: both.filter((_, i) => i % stride === 0).map((p) => [p.champion, p.challenger] as const),
    deltas,
    alertRate,
    failures,
    latency,
    labelled: labelledRows.length,
    overall,
    days,
    checklist,
  };
}

/**
 * The alert-rate item, judged as the rollout's alert-rate gate judges it: beyond the bound by less than the sampling
 * error is pending (more records decide), not a failure.
 */
function alertRateItem(
  judged: AlertRateJudgement,
  alertRate: { readonly champion: number; readonly challenger: number },
  bound: number,
): ChecklistItem {
  return {
    item: 'alert-rate delta within bounds',
    status: judged.status === 'hold' ? 'pending' : judged.status,
    figure:
      `challenger ${pct(alertRate.challenger)} vs champion ${pct(alertRate.champion)} (delta ${pct(judged.delta)}, ` +
      `bound ±${pct(bound)}, ±${pct(judged.sampling)} sampling)`,
  };
}

/**
 * The labelled-metric item, judged as the rollout's AUC gate judges it (judgeAucShortfall): a shortfall beyond the
 * margin fails only when it also exceeds the sampling error of the paired difference; within it the item stays
 * pending, for more labels to decide.
 */
function labelledItem(auc: PairedAuc, frauds: number, labelled: number, margin: number): ChecklistItem {
  const judged = judgeAucShortfall(auc, margin);
  return {
    item: 'labelled metrics',
    status: judged.status === 'hold' ? 'pending' : judged.status,
    figure:
      `AUC ${num(auc.challengerAuc)} vs champion ${num(auc.championAuc)} on ${labelled} labelled records, ` +
      `${frauds} frauds (margin ${margin}, ±${num(judged.sampling, 3)} sampling)`,
  };
}

/** Whether a score record names `model`: as the deciding model, in shadow_scores, or with a batch run time. */
function namesModel(view: ScoreView, model: string): boolean {
  return view.model === model || view.shadowScores[model] !== undefined || view.modelLatencyMs[model] !== undefined;
}

/**
 * Why a shadow report must not be written (null when it may): with no record scored by both models in the window
 * read, every figure is n/a and each checklist item would be judged on nothing, so the command says what it did not
 * find, exits non-zero and leaves the files of an earlier report as they were. `sinceMs` 0: the whole output topic.
 */
export function shadowReportRefusal(
  scores: readonly ScoreView[],
  report: Pick<ShadowReport, 'champion' | 'challenger' | 'records'>,
  sinceMs: number,
): string | null {
  if (report.records > 0) return null;
  const window =
    `${scores.length} score record${scores.length === 1 ? '' : 's'} read ` +
    (sinceMs > 0 ? `since ${new Date(sinceMs).toISOString()} (--since)` : 'from the whole output topic');
  if (!scores.some((view) => namesModel(view, report.challenger))) {
    return (
      `no record of the challenger ${report.challenger} in the window read (${window}): no score names it, so it ` +
      'was not shadowed then; name the challenger that was with --challenger, or read further back with --since. ' +
      'No report written'
    );
  }
  return (
    `no record in the window read (${window}) was scored by both the challenger ${report.challenger} and the ` +
    `champion ${report.champion}; name the champion it was shadowed against with --champion. No report written`
  );
}

/** The checklist for the terminal, with lines for sign-off. */
export function formatChecklist(report: ShadowReport): string[] {
  const passed = report.checklist.every((c) => c.status !== 'fail');
  return [
    `shadow checklist: ${report.challenger} against ${report.champion}`,
    ...report.checklist.map(
      (c) =>
        `  [${c.status === 'pass' ? 'x' : c.status === 'pending' ? '~' : ' '}] ${c.status.toUpperCase().padEnd(7)} ${c.item}: ${c.figure}`,
    ),
    `  verdict: ${passed ? 'no item failed' : 'at least one item FAILED: do not start a rollout'}`,
    '',
    '  signed off by (model owner):  ______________________  date: __________',
    '  signed off by (on-call lead): ______________________  date: __________',
  ];
}
