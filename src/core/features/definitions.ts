import { createHash } from 'node:crypto';
import { MINOR_UNITS_PER_MAJOR } from '../contract/events.js';
import type { FeatureSchema } from './types.js';

/**
 * The feature set, declared once as data. The engine interprets these declarations (it derives the windows it must
 * compute from them), the schema version is a hash of them, and docs/features.md explains them. Nothing else in the
 * code base names a window length or a delay.
 */

export const FEATURE_SET_NAME = 'card-baseline-v1';
export const DAY_MS = 86_400_000;
/** Window lengths in days, shared by the customer and the terminal features. */
export const WINDOW_DAYS = [1, 7, 30] as const;

export type FeatureEntity = 'transaction' | 'customer' | 'terminal';

/** What is computed; the parameters are part of the data so that changing them changes the schema version. */
export type FeatureAggregation =
  /** The transaction amount in major units (amountMinor / MINOR_UNITS_PER_MAJOR). */
  | { readonly kind: 'amount' }
  /** 1 if the UTC weekday of the event time is listed (0 = Sunday … 6 = Saturday), else 0. */
  | { readonly kind: 'utcWeekdayIn'; readonly weekdays: readonly number[] }
  /** 1 if the UTC hour of the event time is at most `hour`, else 0. */
  | { readonly kind: 'utcHourAtMost'; readonly hour: number }
  /** Number of the entity's transactions in the window. */
  | { readonly kind: 'count' }
  /** Mean amount of the entity's transactions in the window, sumMinor / count / MINOR_UNITS_PER_MAJOR. */
  | { readonly kind: 'meanAmount' }
  /** Share of the window's transactions with a fraud label reported at or before the event time; 0 if none. */
  | { readonly kind: 'fraudShare' };

/**
 * A window over the entity's transactions, relative to the event time t of the transaction being featurised:
 * event times in (t − delayMs − lengthMs, t − delayMs]. With delayMs = 0 the current transaction is in it, and of
 * transactions with the same event time only those earlier in log order; with delayMs > 0 the current one never is.
 */
export interface FeatureWindow {
  readonly lengthMs: number;
  readonly delayMs: number;
}

export interface FeatureDefinition {
  readonly name: string;
  readonly entity: FeatureEntity;
  readonly aggregation: FeatureAggregation;
  /** Null for features of the transaction itself. */
  readonly window: FeatureWindow | null;
  /** Replaces a missing or non-finite value (the feature is then reported as imputed). */
  readonly defaultValue: number;
  /** For humans (docs, model cards); not part of the schema version. */
  readonly description: string;
}

export interface FeatureSetOptions {
  /** How long after a transaction its fraud label is expected to be known; terminal windows end this long before t. */
  readonly labelDelayMs: number;
}

/** Saturday and Sunday, as UTC weekdays (0 = Sunday). */
const WEEKEND_WEEKDAYS = [6, 0] as const;
/** "Night" is 00:00–06:59 UTC: hours 0 to 6 inclusive. */
const NIGHT_LAST_HOUR_UTC = 6;

export function defineFeatureSet(options: FeatureSetOptions): readonly FeatureDefinition[] {
  const { labelDelayMs } = options;
  // Terminal windows must end strictly before t, or the current transaction (and its siblings in the batch) would
  // count: a zero or negative delay is a configuration error, not a feature set.
  if (!Number.isSafeInteger(labelDelayMs) || labelDelayMs <= 0) {
    throw new RangeError(`labelDelayMs must be a positive integer number of milliseconds, got ${String(labelDelayMs)}`);
  }
  const definitions: FeatureDefinition[] = [
    {
      name: 'amount',
      entity: 'transaction',
      aggregation: { kind: 'amount' },
      window: null,
      defaultValue: 0,
      description: 'Transaction amount in major units.',
    },
    {
      name: 'tx_during_weekend',
      entity: 'transaction',
      aggregation: { kind: 'utcWeekdayIn', weekdays: WEEKEND_WEEKDAYS },
      window: null,
      defaultValue: 0,
      description: '1 if the event time falls on a Saturday or Sunday (UTC), else 0.',
    },
    {
      name: 'tx_during_night',
      entity: 'transaction',
      aggregation: { kind: 'utcHourAtMost', hour: NIGHT_LAST_HOUR_UTC },
      window: null,
      defaultValue: 0,
      description: '1 if the UTC hour of the event time is 6 or less, else 0.',
    },
  ];
  for (const days of WINDOW_DAYS) {
    const window = { lengthMs: days * DAY_MS, delayMs: 0 };
    definitions.push(
      {
        name: `customer_nb_tx_${days}d`,
        entity: 'customer',
        aggregation: { kind: 'count' },
        window,
        defaultValue: 0,
        description: `Customer's transactions in (t − ${days}d, t], the current one included.`,
      },
      {
        name: `customer_avg_amount_${days}d`,
        entity: 'customer',
        aggregation: { kind: 'meanAmount' },
        window,
        defaultValue: 0,
        description: `Mean amount (major units) of the customer's transactions in (t − ${days}d, t].`,
      },
    );
  }
  for (const days of WINDOW_DAYS) {
    const window = { lengthMs: days * DAY_MS, delayMs: labelDelayMs };
    definitions.push(
      {
        name: `terminal_nb_tx_${days}d`,
        entity: 'terminal',
        aggregation: { kind: 'count' },
        window,
        defaultValue: 0,
        description: `Terminal's transactions in (t − d − ${days}d, t − d], d = label delay.`,
      },
      {
        name: `terminal_risk_${days}d`,
        entity: 'terminal',
        aggregation: { kind: 'fraudShare' },
        window,
        defaultValue: 0,
        description: `Share of those terminal transactions with a fraud label reported by t; 0 when there are none.`,
      },
    );
  }
  return Object.freeze(definitions.map((definition) => Object.freeze(definition)));
}

/** JSON with sorted object keys: the same definitions always give the same bytes, whatever the literal order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** 12 hex digits (48 bits) of SHA-256: collisions between feature set revisions are not a practical concern. */
const VERSION_HASH_HEX_DIGITS = 12;

/**
 * The schema version: the feature set name plus a short hash of everything that changes a value or its position —
 * names in order, entities, aggregations with their parameters, windows, delays, defaults and the minor-unit scale.
 * Descriptions are left out so that rewording a comment does not invalidate trained models.
 */
export function featureSchemaOf(definitions: readonly FeatureDefinition[]): FeatureSchema {
  const canonical = canonicalJson({
    featureSet: FEATURE_SET_NAME,
    minorUnitsPerMajor: MINOR_UNITS_PER_MAJOR,
    features: definitions.map(({ description: _description, ...rest }) => rest),
  });
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, VERSION_HASH_HEX_DIGITS);
  return Object.freeze({
    version: `${FEATURE_SET_NAME}+${hash}`,
    names: Object.freeze(definitions.map((definition) => definition.name)),
  });
}

/**
 * The duplicate horizon: a transaction id that reappears at another position (an upstream producer's retry) with an
 * event time at most this far from its first occurrence is a duplicate (dead-lettered DUPLICATE_TRANSACTION online,
 * left out of the training table offline, and in both never recorded in the state). Part of the feature set, so that
 * both runtimes use the same value. A day covers producer retries by orders of magnitude; an id reused later than
 * that is treated as a new transaction. Both backends remember ids at least twice this long behind the newest event.
 */
export const DUPLICATE_HORIZON_MS = DAY_MS;

/** How much event time past a window's start the state keeps, so that an event this late still sees full windows. */
export const DEFAULT_LATENESS_MARGIN_MS = DAY_MS;

/**
 * How far back (in event time, behind the newest event of an entity) any feature can look, plus a margin for
 * late events: state older than this is never read again and may be dropped. Also the TTL of the online keys.
 */
export function retentionOf(definitions: readonly FeatureDefinition[], latenessMarginMs: number): number {
  let reach = 0;
  for (const { window } of definitions) {
    if (window !== null) {
      reach = Math.max(reach, window.lengthMs + window.delayMs);
    }
  }
  return reach + latenessMarginMs;
}

/** The label delay of the shipped topologies (topologies/*.yaml: features.labelDelayDays: 7). */
export const DEFAULT_LABEL_DELAY_MS = 7 * DAY_MS;

/** The schema of the feature set for a given label delay (the delay is part of the version). */
export function featureSchemaFor(labelDelayMs: number): FeatureSchema {
  return featureSchemaOf(defineFeatureSet({ labelDelayMs }));
}

/** The schema for the default 7-day label delay; a topology with another delay gets another version. */
export const FEATURE_SCHEMA: FeatureSchema = featureSchemaFor(DEFAULT_LABEL_DELAY_MS);
