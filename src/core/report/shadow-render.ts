import type { ShadowReport } from './shadow-report.js';
import { barsSvg, histogramSvg, linesSvg, scatterSvg } from './svg.js';

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'n/a');
const num = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function summaryRows(r: ShadowReport): [string, string][] {
  return [
    ['records scored by both', String(r.records)],
    ['window', `${iso(r.fromMs)} to ${iso(r.toMs)}`],
    ['decision agreement', pct(r.agreement)],
    ['score delta (challenger - champion)', r.deltaQuantiles.map((q) => `p${q.q * 100} ${num(q.value)}`).join(', ')],
    ['alert rate', `champion ${pct(r.alertRate.champion)}, challenger ${pct(r.alertRate.challenger)}`],
    [
      'batch latency p50 / p99',
      `champion ${num(r.latency.champion.p50, 1)} / ${num(r.latency.champion.p99, 1)} ms, challenger ${num(r.latency.challenger.p50, 1)} / ${num(r.latency.challenger.p99, 1)} ms`,
    ],
    ['failures (error, non-finite, timeout)', `champion ${r.failures.champion}, challenger ${r.failures.challenger}`],
    [
      'labelled records',
      `${r.labelled} (AUC champion ${num(r.overall.championAuc)}, challenger ${num(r.overall.challengerAuc)})`,
    ],
  ];
}

export function renderShadowMarkdown(r: ShadowReport): string {
  const lines = [
    `# Shadow report: ${r.challenger} against ${r.champion}`,
    '',
    '| figure | value |',
    '|---|---|',
    ...summaryRows(r).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Labelled metrics per day',
    '',
    r.days.length === 0
      ? 'No labels have matured yet.'
      : '| day | labelled | frauds | AUC champion | AUC challenger | AP champion | AP challenger | card P@100 champion | card P@100 challenger |',
    ...(r.days.length === 0 ? [] : ['|---|---|---|---|---|---|---|---|---|']),
    ...r.days.map(
      (d) =>
        `| ${d.day} | ${d.labelled} | ${d.frauds} | ${num(d.champion.auc)} | ${num(d.challenger.auc)} | ${num(d.champion.ap)} | ${num(d.challenger.ap)} | ${num(d.champion.cardPrecisionAt100)} | ${num(d.challenger.cardPrecisionAt100)} |`,
    ),
    '',
    '## Shadow checklist',
    '',
    ...r.checklist.map((c) => `- [${c.status === 'pass' ? 'x' : ' '}] **${c.item}** (${c.status}): ${c.figure}`),
    '',
    'Signed off by (model owner): ______________________ date: __________',
    '',
    'Signed off by (on-call lead): ______________________ date: __________',
    '',
    'Plots: see the HTML report next to this file.',
    '',
  ];
  return lines.join('\n');
}

/** One self-contained HTML page: inline SVG plots, no scripts, no external assets. */
export function renderShadowHtml(r: ShadowReport): string {
  const days = r.days.map((d) => d.day);
  const plots = [
    scatterSvg('scatter', 'Scores on the same records', r.scatter, [
      `${r.champion} (champion)`,
      `${r.challenger} (challenger)`,
    ]),
    histogramSvg('deltas', 'Score delta: challenger - champion', r.deltas, 40, ['delta', 'records']),
    barsSvg(
      'alert-rate',
      'Alert rate',
      [
        {
          label: 'alert rate (%)',
          values: [
            { series: 'champion', value: r.alertRate.champion * 100 },
            { series: 'challenger', value: r.alertRate.challenger * 100 },
          ],
        },
      ],
      '%',
    ),
    barsSvg(
      'latency',
      'Model batch latency',
      [
        {
          label: 'p50',
          values: [
            { series: 'champion', value: r.latency.champion.p50 },
            { series: 'challenger', value: r.latency.challenger.p50 },
          ],
        },
        {
          label: 'p99',
          values: [
            { series: 'champion', value: r.latency.champion.p99 },
            { series: 'challenger', value: r.latency.challenger.p99 },
          ],
        },
      ],
      'ms',
    ),
    linesSvg(
      'auc-per-day',
      'AUC per day (matured labels)',
      days,
      [
        { name: 'champion', values: r.days.map((d) => d.champion.auc) },
        { name: 'challenger', values: r.days.map((d) => d.challenger.auc) },
      ],
      'AUC',
    ),
    linesSvg(
      'ap-per-day',
      'Average precision per day',
      days,
      [
        { name: 'champion', values: r.days.map((d) => d.champion.ap) },
        { name: 'challenger', values: r.days.map((d) => d.challenger.ap) },
      ],
      'AP',
    ),
    linesSvg(
      'card-precision-per-day',
      'Card precision@100 per day',
      days,
      [
        { name: 'champion', values: r.days.map((d) => d.champion.cardPrecisionAt100) },
        { name: 'challenger', values: r.days.map((d) => d.challenger.cardPrecisionAt100) },
      ],
      'precision',
    ),
  ];
  const esc = (t: string) => t.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shadow report: ${esc(r.challenger)} against ${esc(r.champion)}</title>
<style>body{font-family:sans-serif;margin:16px;background:#ffffff;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}
.plots{display:grid;grid-template-columns:repeat(2,520px);gap:12px}.pass{color:#2ca02c}.fail{color:#d62728}.pending{color:#888}</style></head>
<body><h1>Shadow report: ${esc(r.challenger)} against ${esc(r.champion)}</h1>
<div class="plots">${plots.join('\n')}</div>
<table>${summaryRows(r)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('')}</table>
<h2>Shadow checklist</h2><ul>${r.checklist.map((c) => `<li class="${c.status}"><b>${esc(c.item)}</b> ${c.status.toUpperCase()}: ${esc(c.figure)}</li>`).join('')}</ul>
<p>Signed off by (model owner): ______________________ date: __________</p>
<p>Signed off by (on-call lead): ______________________ date: __________</p>
</body></html>
`;
}
