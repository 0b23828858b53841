import type { DriftSnapshot } from '../core/monitoring/drift-window.js';
import { SCORE_QUANTILES } from '../core/monitoring/drift-window.js';
import { quantileSorted } from '../core/monitoring/binning.js';
import { LABEL_DELIVERY_GRACE_MS } from '../core/monitoring/evaluation.js';
import { comparisonText, dayLabel, type EvaluationReportInput } from '../core/report/evaluation-report.js';

const num = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
const pad = (text: string, width: number) => text.padEnd(width);

/** PSI as an operator reads it (README "Monitoring"). */
export function psiVerdict(value: number): string {
  return value < 0.1 ? 'stable' : value < 0.25 ? 'moderate shift' : 'MAJOR SHIFT';
}

/** The demo's drift lines: the served model's window against its card, or why there is none. */
export function formatDrift(model: string, snapshot: DriftSnapshot | undefined, scores: Float64Array): string[] {
  const sorted = Float64Array.from(scores).sort();
  const lines = [''];
  if (!snapshot) {
    lines.push(
      `drift            none: ${model}'s card has no monitoring section (trained before reference distributions);`,
      '                 a model trained by the current trainer carries them (README "Monitoring")',
    );
  } else if (snapshot.status === 'insufficient-data') {
    lines.push(
      `drift            insufficient data: ${snapshot.records} records in the window, ${snapshot.minRecords} needed`,
    );
  } else {
    lines.push(`drift            ${model}, window of the last ${snapshot.records} records vs the card's reference`);
    lines.push('  feature                   PSI     reading');
    for (const [feature, value] of Object.entries(snapshot.featurePsi)) {
      lines.push(`  ${pad(feature, 24)}  ${num(value, 4)}  ${psiVerdict(value)}`);
    }
    lines.push(`  ${pad('score', 24)}  ${num(snapshot.scorePsi, 4)}  ${psiVerdict(snapshot.scorePsi)}`);
    lines.push(`  score KS         D ${num(snapshot.ks.statistic, 4)}, p-value ${snapshot.ks.pValue.toExponential(2)}`);
  }
  const quantiles = snapshot?.status === 'ok' ? snapshot.quantiles : undefined;
  lines.push(
    `score quantiles  ${SCORE_QUANTILES.map((q) => `p${q * 100} ${num(quantiles?.[q] ?? quantileSorted(sorted, q), 4)}`).join(', ')}` +
      // Named, as the summary above prints nearest-rank quantiles of the same scores (score-report.ts).
      (quantiles ? ' (numpy linear, drift window)' : ' (numpy linear, all scores of the run)'),
  );
  return lines;
}

/** The demo's delayed-label lines: per final scoring day, then the offline-online comparison. */
export function formatEvaluation(input: EvaluationReportInput): string[] {
  const lines = [
    '',
    `delayed labels   ${input.matured.length} scoring days final (labels matured ${input.horizonDays} days after the day, read ${LABEL_DELIVERY_GRACE_MS / 3_600_000} h more), ${input.openDays.length} still waiting`,
    '  day         model         scored  frauds  AUC    AP     P@100  recall(rev)  alerts  fraud blocked/reviewed/missed',
  ];
  for (const d of input.matured) {
    const m = d.metrics;
    lines.push(
      `  ${dayLabel(d.day)}  ${pad(d.model, 12)}  ${String(m.records).padStart(6)}  ${String(m.frauds).padStart(6)}  ` +
        `${num(m.aucRoc)}  ${num(m.averagePrecision)}  ${num(m.cardPrecisionAt100, 2).padStart(5)}  ` +
        `${pct(m.recallReview).padStart(11)}  ${pct(m.alertRate).padStart(6)}  ` +
        `${m.fraudAmount.BLOCK.toFixed(0)}/${m.fraudAmount.REVIEW.toFixed(0)}/${m.fraudAmount.APPROVE.toFixed(0)}`,
    );
  }
  for (const o of input.offlineOnline) {
    lines.push(
      `offline-online   model ${o.model}, latest ${o.days.length} final days pooled (${o.labelled} labelled):`,
    );
    for (const c of o.comparisons) lines.push(`  ${pad(c.metric, 22)} ${comparisonText(c)}`);
  }
  return lines;
}
