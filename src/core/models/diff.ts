import type { ModelCard } from './card.js';

export type Scalar = string | number | boolean | null;

export interface DiffRow {
  /** Dotted path into card.json, e.g. metrics.test.aucRoc. */
  readonly field: string;
  readonly a: Scalar | undefined;
  readonly b: Scalar | undefined;
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

function flatten(value: unknown, prefix: string, out: Map<string, Scalar>): void {
  if (value === null || typeof value !== 'object') {
    out.set(prefix, (value ?? null) as Scalar);
    return;
  }
  if (Array.isArray(value)) {
    // Feature lists compare as one ordered value: order is part of the contract.
    out.set(prefix, value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', '));
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (SKIPPED.has(key)) continue;
    flatten(child, prefix ? `${prefix}.${key}` : key, out);
  }
}

function rows(a: unknown, b: unknown, prefix: string): DiffRow[] {
  const left = new Map<string, Scalar>();
  const right = new Map<string, Scalar>();
  flatten(a, prefix, left);
  flatten(b, prefix, right);
  const fields = [...left.keys(), ...[...right.keys()].filter((key) => !left.has(key))];
  return fields.map((field) => {
    const x = left.get(field);
    const y = right.get(field);
    const row: DiffRow = { field, a: x, b: y, changed: x !== y };
    return typeof x === 'number' && typeof y === 'number' ? { ...row, delta: y - x } : row;
  });
}

/** Two cards side by side: what changed in provenance and settings, and how the metrics moved. */
export function diffCards(a: ModelCard, b: ModelCard): CardDiff {
  const { metrics: metricsA, ...fieldsA } = a;
  const { metrics: metricsB, ...fieldsB } = b;
  return { fields: rows(fieldsA, fieldsB, ''), metrics: rows(metricsA, metricsB, 'metrics') };
}
