/** Small self-contained SVG plots (no scripts, no external assets): the shadow report's charts. */

export const PLOT = { width: 520, height: 300, margin: { left: 56, right: 16, top: 28, bottom: 40 } } as const;
export const COLORS = { champion: '#1f77b4', challenger: '#ff7f0e', accent: '#2ca02c', grid: '#dddddd' } as const;

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(1) : n.toFixed(2));

interface Frame {
  x(value: number): number;
  y(value: number): number;
  open: string;
}

function frame(name: string, title: string, x: [number, number], y: [number, number], labels: [string, string]): Frame {
  const { width, height, margin } = PLOT;
  const w = width - margin.left - margin.right;
  const h = height - margin.top - margin.bottom;
  const sx = (v: number) => margin.left + ((v - x[0]) / (x[1] - x[0] || 1)) * w;
  const sy = (v: number) => margin.top + h - ((v - y[0]) / (y[1] - y[0] || 1)) * h;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const grid = ticks
    .map((t) => {
      const vx = x[0] + t * (x[1] - x[0]);
      const vy = y[0] + t * (y[1] - y[0]);
      return (
        `<line x1="${sx(vx)}" y1="${margin.top}" x2="${sx(vx)}" y2="${margin.top + h}" stroke="${COLORS.grid}"/>` +
        `<text x="${sx(vx)}" y="${margin.top + h + 14}" font-size="10" text-anchor="middle">${fmt(vx)}</text>` +
        `<line x1="${margin.left}" y1="${sy(vy)}" x2="${margin.left + w}" y2="${sy(vy)}" stroke="${COLORS.grid}"/>` +
        `<text x="${margin.left - 4}" y="${sy(vy) + 3}" font-size="10" text-anchor="end">${fmt(vy)}</text>`
      );
    })
    .join('');
  const open =
    `<svg class="plot" data-plot="${name}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>` +
    `<text x="${width / 2}" y="16" font-size="13" font-weight="bold" text-anchor="middle">${escape(title)}</text>${grid}` +
    `<text x="${margin.left + w / 2}" y="${height - 6}" font-size="11" text-anchor="middle">${escape(labels[0])}</text>` +
    `<text x="12" y="${margin.top + h / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${margin.top + h / 2})">${escape(labels[1])}</text>`;
  return { x: sx, y: sy, open };
}

export function scatterSvg(
  name: string,
  title: string,
  points: readonly (readonly [number, number])[],
  labels: [string, string],
): string {
  const f = frame(name, title, [0, 1], [0, 1], labels);
  const dots = points
    .map(
      ([a, b]) =>
        `<circle cx="${f.x(a).toFixed(1)}" cy="${f.y(b).toFixed(1)}" r="2" fill="${COLORS.challenger}" fill-opacity="0.5"/>`,
    )
    .join('');
  return `${f.open}<line x1="${f.x(0)}" y1="${f.y(0)}" x2="${f.x(1)}" y2="${f.y(1)}" stroke="#888" stroke-dasharray="4 3"/>${dots}</svg>`;
}

export function histogramSvg(
  name: string,
  title: string,
  values: readonly number[],
  bins: number,
  labels: [string, string],
): string {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : -1;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const counts = new Array<number>(bins).fill(0);
  for (const v of finite) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]! += 1;
  const f = frame(name, title, [lo, hi], [0, Math.max(1, ...counts)], labels);
  const width = (f.x(hi) - f.x(lo)) / bins;
  const bars = counts
    .map(
      (c, i) =>
        `<rect x="${(f.x(lo) + i * width).toFixed(1)}" y="${f.y(c).toFixed(1)}" width="${Math.max(1, width - 1).toFixed(1)}" height="${(f.y(0) - f.y(c)).toFixed(1)}" fill="${COLORS.champion}"/>`,
    )
    .join('');
  return `${f.open}${bars}</svg>`;
}

export function barsSvg(
  name: string,
  title: string,
  groups: readonly { label: string; values: readonly { series: string; value: number }[] }[],
  unit: string,
): string {
  const all = groups.flatMap((g) => g.values.map((v) => (Number.isFinite(v.value) ? v.value : 0)));
  const f = frame(name, title, [0, groups.length], [0, Math.max(1e-9, ...all) * 1.15], ['', unit]);
  const slot = (f.x(1) - f.x(0)) / Math.max(1, ...groups.map((g) => g.values.length + 1));
  const palette = [COLORS.champion, COLORS.challenger, COLORS.accent];
  const bars = groups
    .flatMap((g, gi) =>
      g.values.map((v, vi) => {
        const value = Number.isFinite(v.value) ? v.value : 0;
        const x = f.x(gi) + slot * (vi + 0.5);
        return (
          `<rect x="${x.toFixed(1)}" y="${f.y(value).toFixed(1)}" width="${(slot * 0.9).toFixed(1)}" height="${(f.y(0) - f.y(value)).toFixed(1)}" fill="${palette[vi % palette.length]}"/>` +
          `<text x="${(x + slot * 0.45).toFixed(1)}" y="${(f.y(value) - 3).toFixed(1)}" font-size="10" text-anchor="middle">${escape(`${v.series} ${fmt(value)}`)}</text>`
        );
      }),
    )
    .join('');
  const names = groups
    .map(
      (g, gi) =>
        `<text x="${f.x(gi + 0.5).toFixed(1)}" y="${PLOT.height - 22}" font-size="11" text-anchor="middle">${escape(g.label)}</text>`,
    )
    .join('');
  return `${f.open}${bars}${names}</svg>`;
}

export function linesSvg(
  name: string,
  title: string,
  xLabels: readonly string[],
  series: readonly { name: string; values: readonly number[] }[],
  yLabel: string,
): string {
  const f = frame(name, title, [0, Math.max(1, xLabels.length - 1)], [0, 1], ['day', yLabel]);
  const palette = [COLORS.champion, COLORS.challenger, COLORS.accent];
  const lines = series
    .map((s, si) => {
      const points = s.values
        .map((v, i) => (Number.isFinite(v) ? `${f.x(i).toFixed(1)},${f.y(v).toFixed(1)}` : ''))
        .filter(Boolean);
      const marks = s.values
        .map((v, i) =>
          Number.isFinite(v)
            ? `<circle cx="${f.x(i).toFixed(1)}" cy="${f.y(v).toFixed(1)}" r="3" fill="${palette[si % 3]}"/>`
            : '',
        )
        .join('');
      return (
        `<polyline fill="none" stroke="${palette[si % 3]}" stroke-width="2" points="${points.join(' ')}"/>${marks}` +
        `<text x="${PLOT.margin.left + 8 + si * 140}" y="${PLOT.margin.top + 12}" font-size="11" fill="${palette[si % 3]}">${escape(s.name)}</text>`
      );
    })
    .join('');
  return `${f.open}${lines}</svg>`;
}
