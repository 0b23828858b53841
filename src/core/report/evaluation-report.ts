import type { EvaluationMetrics } from '../monitoring/eval-metrics.js';
import { liveMetricValues } from '../monitoring/eval-metrics.js';
import type { MaturedDay } from '../monitoring/evaluation.js';
import type { Comparison } from '../monitoring/expectations.js';
import { lineChart, type Series } from './svg-plot.js';

const DAY_MS = 86_400_000;

/** The live figure of one model against its own card (the evaluator's status). */
export interface OfflineOnline {
  /** `name@version`. */
  readonly model: string;
  readonly days: readonly number[];
  readonly labelled: number;
  readonly comparisons: readonly Comparison[];
}

export interface EvaluationReportInput {
  readonly title: string;
  readonly generatedAt: string;
  readonly horizonDays: number;
  readonly matured: readonly MaturedDay[];
  readonly openDays: readonly number[];
  readonly offlineOnline: readonly OfflineOnline[];
}

export const dayLabel = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const num = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
const money = (v: number) => v.toFixed(2);

/** The plotted metrics: the `metric` label of fraudscore_eval_metric and a title. */
const PLOTTED: readonly [string, string][] = [
  ['auc', 'ROC AUC'],
  ['average_precision', 'Average precision'],
  ['card_precision_at_100', 'Card precision@100'],
  ['recall_review', 'Recall at the review threshold'],
  ['recall_block', 'Recall at the block threshold'],
  ['alert_rate', 'Alert rate'],
];

export const DAY_COLUMNS = [
  'day',
  'model',
  'scored',
  'frauds',
  'AUC',
  'AP',
  'card P@100',
  'recall block',
  'recall review',
  'alert rate',
  'false alerts',
  'fraud amount blocked / reviewed / missed',
] as const;

export function dayRow(d: MaturedDay): string[] {
  const m: EvaluationMetrics = d.metrics;
  return [
    dayLabel(d.day),
    d.model,
    String(m.records),
    String(m.frauds),
    num(m.aucRoc),
    num(m.averagePrecision),
    num(m.cardPrecisionAt100, 2),
    pct(m.recallBlock),
    pct(m.recallReview),
    pct(m.alertRate),
    String(m.falseAlerts),
    `${money(m.fraudAmount.BLOCK)} / ${money(m.fraudAmount.REVIEW)} / ${money(m.fraudAmount.APPROVE)}`,
  ];
}

export function comparisonText(c: Comparison): string {
  if (!('expected' in c)) {
    return c.status === 'insufficient-data'
      ? 'insufficient data'
      : `${num(c.live ?? Number.NaN)} (the card has no held-out interval` +
          (c.cardValue !== undefined ? `; its held-out point estimate: ${num(c.cardValue)})` : ')');
  }
  const interval = `held-out ${num(c.expected.value)} [${num(c.expected.lower)}, ${num(c.expected.upper)}]`;
  const verdict = c.status === 'within' ? 'within sampling error' : `MISMATCH (${c.status})`;
  const errors = `SE live ${num(c.liveStandardError)}, held-out ${num(c.offlineStandardError)}`;
  return `${num(c.live)} vs ${interval}: z ${num(c.z, 1)} (${errors}), ${verdict}`;
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

export function renderEvaluationMarkdown(input: EvaluationReportInput): string {
  const lines = [
    `# ${input.title}`,
    '',
    `Generated ${input.generatedAt}. A scoring day is final ${input.horizonDays} days after it ends (labels arrive late);`,
    `${input.matured.length} day/model rows are final, ${input.openDays.length} scoring days still wait for labels.`,
    '',
    '## Per scoring day (final labels)',
    '',
    ...markdownTable(DAY_COLUMNS, input.matured.map(dayRow)),
    '',
    '## Offline-online match (latest final days pooled vs the model card)',
    '',
    ...markdownTable(
      ['model', 'days', 'labelled', 'metric', 'live vs held-out'],
      input.offlineOnline.flatMap((o) =>
        o.comparisons.map((c) => [
          o.model,
          o.days.length > 0 ? `${dayLabel(o.days[0]!)}..${dayLabel(o.days[o.days.length - 1]!)}` : '-',
          String(o.labelled),
          c.metric,
          comparisonText(c),
        ]),
      ),
    ),
    '',
  ];
  return lines.join('\n');
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function htmlTable(header: readonly string[], rows: readonly string[][]): string {
  return [
    '<table><thead><tr>',
    ...header.map((h) => `<th>${escape(h)}</th>`),
    '</tr></thead><tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('');
}

/** Each metric against scoring day (one line per model) and against label age (mean over final days). */
export function evaluationCharts(input: EvaluationReportInput): { byDay: string[]; byAge: string[] } {
  const models = [...new Set(input.matured.map((d) => d.model))].sort();
  const byDay: string[] = [];
  const byAge: string[] = [];
  for (const [metric, title] of PLOTTED) {
    const series: Series[] = models.map((model) => ({
      name: model,
      points: input.matured
        .filter((d) => d.model === model)
        .map((d) => ({ x: d.day, y: liveMetricValues(d.metrics)[metric] ?? Number.NaN })),
    }));
    // One band per chart: the first model whose card has an interval, named, since each card has its own.
    const withInterval = input.offlineOnline
      .map((o) => ({ model: o.model, comparison: o.comparisons.find((c) => c.metric === metric) }))
      .find(({ comparison }) => comparison !== undefined && 'expected' in comparison);
    const band =
      withInterval?.comparison && 'expected' in withInterval.comparison
        ? {
            lower: withInterval.comparison.expected.lower,
            upper: withInterval.comparison.expected.upper,
            label: `held-out interval of ${withInterval.model}`,
          }
        : undefined;
    byDay.push(
      lineChart({
        title: `${title} by scoring day`,
        xLabel: 'scoring day',
        yLabel: metric,
        series,
        formatX: (x) => dayLabel(x).slice(5),
        ...(band ? { band } : {}),
      }),
    );
    const ageSeries: Series[] = models.map((model) => {
      const days = input.matured.filter((d) => d.model === model);
      const ages = days[0]?.byLabelAge.map((a) => a.ageDays) ?? [];
      return {
        name: model,
        points: ages.map((age) => {
          const values = days
            .map((d) => liveMetricValues(d.byLabelAge[age - 1]!.metrics)[metric] ?? Number.NaN)
            .filter(Number.isFinite);
          return { x: age, y: values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN };
        }),
      };
    });
    byAge.push(
      lineChart({
        title: `${title} by label age (mean over final days)`,
        xLabel: 'days after the scoring day ended',
        yLabel: metric,
        series: ageSeries,
        formatX: (x) => String(x),
      }),
    );
  }
  return { byDay, byAge };
}

export function renderEvaluationHtml(input: EvaluationReportInput): string {
  const charts = evaluationCharts(input);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>
<style>
body { font-family: sans-serif; margin: 16px; color: #222; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0 16px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #f3f3f3; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
</style></head><body>
<h1>${escape(input.title)}</h1>
<p>Generated ${escape(input.generatedAt)}. A scoring day is final ${input.horizonDays} days after it ends;
${input.matured.length} day/model rows are final, ${input.openDays.length} scoring days still wait for labels.</p>
<h2>Offline-online match</h2>
${htmlTable(
  ['model', 'labelled', 'metric', 'live vs held-out'],
  input.offlineOnline.flatMap((o) =>
    o.comparisons.map((c) => [o.model, String(o.labelled), c.metric, comparisonText(c)]),
  ),
)}
<h2>By scoring day</h2>
<div class="charts" id="by-day">${charts.byDay.join('\n')}</div>
<h2>By label age</h2>
<div class="charts" id="by-age">${charts.byAge.join('\n')}</div>
<h2>Per scoring day (final labels)</h2>
${htmlTable(DAY_COLUMNS, input.matured.map(dayRow))}
</body></html>
`;
}
