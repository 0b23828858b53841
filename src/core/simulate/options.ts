/** What a simulation run is made of. Every field has a default; resolveSimulationOptions validates and freezes. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * Labels are never reported later than this after their transaction. The label-aware features assume a 7-day label
 * delay (topologies: features.labelDelayDays): a label that arrives later would be missing from a point-in-time
 * correct backfill and the online state alike, silently weakening the feature, so it is a hard upper bound here.
 */
export const MAX_LABEL_DELAY_MS = 7 * DAY_MS;

export interface SimulationOptions {
  /** Non-negative integer up to 2^53 - 1. */
  readonly seed: number;
  readonly customers: number;
  readonly terminals: number;
  readonly days: number;
  /** First simulated instant, epoch ms (UTC). Days are counted from here in 24 h steps. */
  readonly startMs: number;
  /** Customers use the terminals within this distance, on a 100 x 100 map (the handbook's r = 5). */
  readonly radius: number;
  readonly labelDelayMinMs: number;
  readonly labelDelayMaxMs: number;
  /** Share of genuine transactions that get a (genuine) label; every fraud gets one. */
  readonly genuineLabelRate: number;
  /** Extra hostile records per valid transaction (Kafka output only). */
  readonly invalidRate: number;
  /** Scenario 1: an amount strictly above this (major units) is fraud. */
  readonly amountOutlierThreshold: number;
  /** Scenario 2: expected new compromised terminals per terminal per day, and how long each stays compromised. */
  readonly compromisedTerminalRate: number;
  readonly terminalCompromiseDays: number;
  /** Scenario 3: expected new compromised cards per customer per day, for how long, and which share is abused. */
  readonly compromisedCardRate: number;
  readonly cardCompromiseDays: number;
  readonly compromisedCardFraudShare: number;
  /** Scenario 3 multiplies the amount of an abused transaction by this. */
  readonly compromisedCardAmountFactor: number;
  readonly currency: string;
  /**
   * A declared drift, for monitoring drills: from day `driftFromDay` on (counted from 0), `amount-shift` multiplies
   * every amount by `driftAmountFactor` (the covariate moves, the fraud does not: ground truth is decided first), and
   * `new-terminals` moves every payment to a terminal of a new population never seen before (term ids offset by
   * `terminals`), so terminal histories start from nothing. `none` leaves the traffic byte-for-byte as without it.
   */
  readonly driftScenario: DriftScenario;
  readonly driftFromDay: number;
  readonly driftAmountFactor: number;
}

export const DriftScenario = {
  None: 'none',
  AmountShift: 'amount-shift',
  NewTerminals: 'new-terminals',
} as const;
export type DriftScenario = (typeof DriftScenario)[keyof typeof DriftScenario];
export const DRIFT_SCENARIOS: readonly DriftScenario[] = Object.values(DriftScenario);

/** Terminal ids are zero-padded to 7 digits; a new population doubles the id range, so it must fit twice. */
const MAX_TERMINALS_WITH_NEW_POPULATION = 5_000_000;

export const DEFAULT_SIMULATION_OPTIONS: SimulationOptions = Object.freeze({
  seed: 42,
  customers: 2_000,
  terminals: 1_000,
  days: 60,
  // A Monday, so weekly patterns start on a week boundary.
  startMs: Date.UTC(2026, 0, 5),
  radius: 5,
  labelDelayMinMs: HOUR_MS,
  labelDelayMaxMs: MAX_LABEL_DELAY_MS,
  // Every transaction gets its ground truth by default, as in the handbook's dataset; sample to mimic sparse feedback.
  genuineLabelRate: 1,
  invalidRate: 0,
  amountOutlierThreshold: 220,
  // The handbook compromises 2 of 10,000 terminals and 3 of 5,000 customers a day. Scaling by population keeps the
  // fraud rate (about 0.5-1 %) the same whatever the --customers and --terminals.
  compromisedTerminalRate: 2 / 10_000,
  terminalCompromiseDays: 28,
  compromisedCardRate: 3 / 5_000,
  cardCompromiseDays: 14,
  compromisedCardFraudShare: 1 / 3,
  compromisedCardAmountFactor: 5,
  currency: 'EUR',
  driftScenario: DriftScenario.None,
  driftFromDay: 0,
  // Amounts three times as large move the amount deciles by several bins: a PSI far above the 0.25 alert line.
  driftAmountFactor: 3,
});

/** A bad option, named by field, with what would be accepted. */
export class SimulationOptionError extends Error {
  readonly retriable = false;
  constructor(
    readonly field: keyof SimulationOptions,
    message: string,
  ) {
    super(`simulation option ${field}: ${message}`);
    this.name = 'SimulationOptionError';
  }
}

type NumericField = {
  [K in keyof SimulationOptions]: SimulationOptions[K] extends number ? K : never;
}[keyof SimulationOptions];

function requireNumber(
  options: SimulationOptions,
  field: NumericField,
  check: { integer?: boolean; min: number; max: number },
): void {
  const value = options[field];
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= check.min &&
    value <= check.max &&
    (!check.integer || Number.isInteger(value));
  if (!ok) {
    const kind = check.integer ? 'an integer' : 'a number';
    throw new SimulationOptionError(field, `must be ${kind} in [${check.min}, ${check.max}], got ${String(value)}`);
  }
}

/** An instant as ISO 8601, or as the number it is where it is no date (NaN, or beyond what a Date can hold). */
function isoOrNumber(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/**
 * Like requireNumber for an instant in epoch milliseconds: --start takes an ISO date or epoch ms, and a person reads
 * the bounds as dates, not as 13 digits, so both are stated.
 */
function requireInstant(options: SimulationOptions, field: NumericField, check: { min: number; max: number }): void {
  const value = options[field];
  if (typeof value === 'number' && Number.isInteger(value) && value >= check.min && value <= check.max) return;
  const shown = typeof value === 'number' ? isoOrNumber(value) : String(value);
  const got = shown === String(value) ? shown : `${shown} (${value})`;
  throw new SimulationOptionError(
    field,
    `must be an instant from ${isoOrNumber(check.min)} to ${isoOrNumber(check.max)} (whole epoch ms ${check.min} ` +
      `to ${check.max}), got ${got}`,
  );
}

export function resolveSimulationOptions(overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const options: SimulationOptions = { ...DEFAULT_SIMULATION_OPTIONS, ...defined };
  requireNumber(options, 'seed', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  // Upper bounds keep ids within their zero-padded widths and a typo from starting a week-long run.
  requireNumber(options, 'customers', { integer: true, min: 1, max: 10_000_000 });
  requireNumber(options, 'terminals', { integer: true, min: 1, max: 10_000_000 });
  requireNumber(options, 'days', { integer: true, min: 1, max: 3_650 });
  // Year 2000 .. 2100: the pipeline dead-letters absurd timestamps, and simulated traffic must not be one.
  requireInstant(options, 'startMs', { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
  requireNumber(options, 'radius', { min: 0, max: 150 });
  requireNumber(options, 'labelDelayMinMs', { integer: true, min: 0, max: MAX_LABEL_DELAY_MS });
  requireNumber(options, 'labelDelayMaxMs', { integer: true, min: options.labelDelayMinMs, max: MAX_LABEL_DELAY_MS });
  requireNumber(options, 'genuineLabelRate', { min: 0, max: 1 });
  requireNumber(options, 'invalidRate', { min: 0, max: 1 });
  requireNumber(options, 'amountOutlierThreshold', { min: 0, max: 1e9 });
  requireNumber(options, 'compromisedTerminalRate', { min: 0, max: 1 });
  requireNumber(options, 'terminalCompromiseDays', { integer: true, min: 1, max: 3_650 });
  requireNumber(options, 'compromisedCardRate', { min: 0, max: 1 });
  requireNumber(options, 'cardCompromiseDays', { integer: true, min: 1, max: 3_650 });
  requireNumber(options, 'compromisedCardFraudShare', { min: 0, max: 1 });
  requireNumber(options, 'compromisedCardAmountFactor', { min: 1, max: 1_000 });
  if (!/^[A-Z]{3}$/.test(options.currency)) {
    throw new SimulationOptionError(
      'currency',
      `must be an ISO 4217 code (three upper-case letters), got ${options.currency}`,
    );
  }
  if (!DRIFT_SCENARIOS.includes(options.driftScenario)) {
    throw new SimulationOptionError(
      'driftScenario',
      `must be one of ${DRIFT_SCENARIOS.join(', ')}, got ${String(options.driftScenario)}`,
    );
  }
  requireNumber(options, 'driftFromDay', { integer: true, min: 0, max: 3_650 });
  requireNumber(options, 'driftAmountFactor', { min: 0.01, max: 1_000 });
  if (options.driftScenario === DriftScenario.NewTerminals && options.terminals > MAX_TERMINALS_WITH_NEW_POPULATION) {
    throw new SimulationOptionError(
      'terminals',
      `at most ${MAX_TERMINALS_WITH_NEW_POPULATION} with drift scenario new-terminals (the new population doubles the ids), got ${options.terminals}`,
    );
  }
  return Object.freeze(options);
}
