import type { ModelCard } from './card.js';
import { LONGEST_SHOWN_VALUE, sameSummary, summariseValue, type ValueSummary } from './value-summary.js';

export type Scalar = string | number | boolean | null;

/**
 * A card value as a diff row holds it: a scalar, a short array joined into one string, or a summary of a value too
 * long to read side by side (a long array; a section that only one of the two cards has).
 */
export type DiffValue = Scalar | ValueSummary;

export interface DiffRow {
  /** Dotted path into card.json, e.g. metrics.test.aucRoc. */
  readonly field: string;
  readonly a: DiffValue | undefined;
  readonly b: DiffValue | undefined;
  readonly changed: boolean;
  /** b - a, when both are numbers. */
  readonly delta?: number;
}

export interface CardDiff {
  /** Every card field except metrics, in card order. */
  readonly fields: readonly DiffRow[];
  /** Headline metrics of each evaluated set, side by side. */
  readonly metrics: readonly DiffRow[];
}

/** Reliability tables are for reading one card; side by side they are 40 rows of noise. */
const SKIPPED = new Set(['reliability']);

/**
 * The drift monitor's reference distributions (bin edges and shares of every feature, a sample of scores): written
 * for the monitor, not for reading. Side by side, whether they differ is what a reader can use, so each is one row.
 */
const SUMMARISED_SECTIONS = new Set(['monitoring.features', 'monitoring.score']);

function isSection(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function joined(items: readonly unknown[]): string {
  return items.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', ');
}

/**
 * What a row shows of one side. A short array is one ordered value (feature lists: order is part of the contract);
 * a long one, or a section the other card lacks, is summarised: its hash still tells whether the two sides differ.
 */
function cell(value: unknown): DiffValue | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return value as Scalar | undefined;
  if (Array.isArray(value)) {
    const text = joined(value);
    if (text.length <= LONGEST_SHOWN_VALUE) return text;
  }
  return summariseValue(value);
}

function same(x: DiffValue | undefined, y: DiffValue | undefined): boolean {
  if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object') return sameSummary(x, y);
  return x === y;
}

function row(field: string, a: unknown, b: unknown): DiffRow {
  const x = cell(a);
  const y = cell(b);
  const diffRow: DiffRow = { field, a: x, b: y, changed: !same(x, y) };
  return typeof x === 'number' && typeof y === 'number' ? { ...diffRow, delta: y - x } : diffRow;
}

/** Both cards walked together: sections both have are compared field by field, in card order (a's, then b's new). */
function walk(a: unknown, b: unknown, path: string, out: DiffRow[]): void {
  if (!isSection(a) || !isSection(b) || SUMMARISED_SECTIONS.has(path)) {
    out.push(row(path, a, b));
    return;
  }
  const keys = [...Object.keys(a), ...Object.keys(b).filter((key) => !(key in a))];
  for (const key of keys) {
    if (!SKIPPED.has(key)) walk(a[key], b[key], path ? `${path}.${key}` : key, out);
  }
}

function rows(a: unknown, b: unknown, prefix: string): DiffRow[] {
  const out: DiffRow[] = [];
  walk(a, b, prefix, out);
  return out;
}

/** Two cards side by side: what changed in provenance and settings, and how the metrics moved. */
export function diffCards(a: ModelCard, b: ModelCard): CardDiff {
  const { metrics: metricsA, ...fieldsA } = a;
  const { metrics: metricsB, ...fieldsB } = b;
  return { fields: rows(fieldsA, fieldsB, ''), metrics: rows(metricsA, metricsB, 'metrics') };
}
