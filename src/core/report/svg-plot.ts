/**
 * Line charts as inline SVG strings: self-contained reports with no script and no CDN. Pure (no I/O).
 */
export interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Formats x tick labels (e.g. a day index as a date). */
  readonly formatX?: (x: number) => string;
  readonly width?: number;
  readonly height?: number;
  /** A horizontal band, e.g. the card's confidence interval. */
  readonly band?: { readonly lower: number; readonly upper: number; readonly label: string };
}

export const PLOT_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
/** Margins around the plot area (the test that renders the report looks for drawn pixels inside it). */
export const PLOT_MARGIN = { left: 56, right: 16, top: 28, bottom: 40 } as const;

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

function ticks(min: number, max: number, count: number): number[] {
  if (min === max) return [min];
  return Array.from({ length: count + 1 }, (_, i) => min + ((max - min) * i) / count);
}

export function lineChart(chart: LineChart): string {
  const width = chart.width ?? 560;
  const height = chart.height ?? 260;
  const { left, right, top, bottom } = PLOT_MARGIN;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const points = chart.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(chart.title)}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="18" font-family="sans-serif" font-size="13" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  if (points.length === 0) {
    parts.push(
      `<text x="${left + 10}" y="${top + plotH / 2}" font-family="sans-serif" font-size="12">no data yet</text>`,
    );
    parts.push('</svg>');
    return parts.join('');
  }
  let xMin = Math.min(...points.map((p) => p.x));
  let xMax = Math.max(...points.map((p) => p.x));
  const ys = points.map((p) => p.y).concat(chart.band ? [chart.band.lower, chart.band.upper] : []);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (yMin === yMax) [yMin, yMax] = [yMin - 0.05, yMax + 0.05];
  const pad = (yMax - yMin) * 0.05;
  yMin -= pad;
  yMax += pad;
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const y of ticks(yMin + pad, yMax - pad, 4)) {
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${left - 4}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" font-family="sans-serif" font-size="10">${fmt(y)}</text>`,
    );
  }
  const xTicks = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(xTicks.length / 8));
  xTicks.forEach((x, i) => {
    if (i % step !== 0) return;
    const label = chart.formatX ? chart.formatX(x) : fmt(x);
    parts.push(
      `<text x="${sx(x).toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle" font-family="sans-serif" font-size="10">${escape(label)}</text>`,
    );
  });
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" font-family="sans-serif" font-size="11">${escape(chart.xLabel)}</text>`,
    `<text x="12" y="${top + plotH / 2}" text-anchor="middle" font-family="sans-serif" font-size="11" transform="rotate(-90 12 ${top + plotH / 2})">${escape(chart.yLabel)}</text>`,
  );
  if (chart.band) {
    const y1 = sy(chart.band.upper);
    const y2 = sy(chart.band.lower);
    parts.push(
      `<rect x="${left}" y="${y1.toFixed(1)}" width="${plotW}" height="${Math.max(1, y2 - y1).toFixed(1)}" fill="#2ca02c" fill-opacity="0.15"><title>${escape(chart.band.label)}</title></rect>`,
    );
  }
  chart.series.forEach((series, i) => {
    const color = PLOT_COLORS[i % PLOT_COLORS.length] as string;
    const valid = series.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (valid.length === 0) return;
    const path = valid.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of valid) {
      parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    parts.push(
      `<text x="${left + plotW - 4}" y="${top + 14 + i * 13}" text-anchor="end" font-family="sans-serif" font-size="11" fill="${color}">${escape(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
