import type { FeatureDefinition } from './definitions.js';
import type { TerminalWindows } from './terminal-windows.js';

/** How the engine fills one position of the feature vector; compiled once from the definitions. */
export type FeatureSlot =
  | { readonly kind: 'amount' }
  | { readonly kind: 'weekday'; readonly weekdays: readonly number[] }
  | { readonly kind: 'hourAtMost'; readonly hour: number }
  | { readonly kind: 'customerCount'; readonly window: number }
  | { readonly kind: 'customerMean'; readonly window: number }
  | { readonly kind: 'terminalCount'; readonly window: number }
  | { readonly kind: 'terminalFraudShare'; readonly window: number };

export interface FeaturePlan {
  readonly slots: readonly FeatureSlot[];
  readonly defaults: Float64Array;
  /** Distinct customer window lengths; customer windows always end at t (delay 0). */
  readonly customerWindowsMs: Float64Array;
  /** Distinct (length, delay) terminal windows. */
  readonly terminalWindows: TerminalWindows;
  /** The furthest back a customer window reaches (its longest length). */
  readonly customerReachMs: number;
  /** The furthest back a terminal window reaches (max of length + delay). */
  readonly terminalReachMs: number;
  /** The shortest terminal delay: the latest event time any terminal window can include is t − this. */
  readonly terminalShortestDelayMs: number;
}

/**
 * Turns the declarative definitions into the engine's plan: which windows to compute once per entity, and where each
 * feature reads its value from. Rejects definitions the engine cannot honour, rather than computing something else.
 */
export function compilePlan(definitions: readonly FeatureDefinition[]): FeaturePlan {
  const customerWindows: number[] = [];
  const terminalKeys: string[] = [];
  const terminalLengths: number[] = [];
  const terminalDelays: number[] = [];
  const slots: FeatureSlot[] = [];

  const customerWindow = (definition: FeatureDefinition): number => {
    const window = definition.window;
    if (window === null || window.delayMs !== 0 || !(window.lengthMs > 0)) {
      throw new Error(`feature ${definition.name}: customer windows need a positive length and no delay`);
    }
    let at = customerWindows.indexOf(window.lengthMs);
    if (at === -1) {
      at = customerWindows.push(window.lengthMs) - 1;
    }
    return at;
  };
  const terminalWindow = (definition: FeatureDefinition): number => {
    const window = definition.window;
    // A terminal window that reached t would count the current transaction and its batch siblings.
    if (window === null || !(window.delayMs > 0) || !(window.lengthMs > 0)) {
      throw new Error(`feature ${definition.name}: terminal windows need a positive length and a positive delay`);
    }
    const key = `${window.lengthMs}/${window.delayMs}`;
    let at = terminalKeys.indexOf(key);
    if (at === -1) {
      terminalKeys.push(key);
      terminalLengths.push(window.lengthMs);
      at = terminalDelays.push(window.delayMs) - 1;
    }
    return at;
  };

  for (const definition of definitions) {
    const { aggregation, entity, name } = definition;
    if (entity === 'transaction') {
      if (aggregation.kind === 'amount') {
        slots.push({ kind: 'amount' });
      } else if (aggregation.kind === 'utcWeekdayIn') {
        slots.push({ kind: 'weekday', weekdays: aggregation.weekdays });
      } else if (aggregation.kind === 'utcHourAtMost') {
        slots.push({ kind: 'hourAtMost', hour: aggregation.hour });
      } else {
        throw new Error(`feature ${name}: aggregation ${aggregation.kind} is not defined for a transaction`);
      }
    } else if (entity === 'customer') {
      if (aggregation.kind === 'count') {
        slots.push({ kind: 'customerCount', window: customerWindow(definition) });
      } else if (aggregation.kind === 'meanAmount') {
        slots.push({ kind: 'customerMean', window: customerWindow(definition) });
      } else {
        throw new Error(`feature ${name}: aggregation ${aggregation.kind} is not defined for a customer`);
      }
    } else {
      if (aggregation.kind === 'count') {
        slots.push({ kind: 'terminalCount', window: terminalWindow(definition) });
      } else if (aggregation.kind === 'fraudShare') {
        slots.push({ kind: 'terminalFraudShare', window: terminalWindow(definition) });
      } else {
        throw new Error(`feature ${name}: aggregation ${aggregation.kind} is not defined for a terminal`);
      }
    }
  }

  let terminalReachMs = 0;
  let terminalShortestDelayMs = Infinity;
  for (let k = 0; k < terminalLengths.length; k++) {
    terminalReachMs = Math.max(terminalReachMs, terminalLengths[k]! + terminalDelays[k]!);
    terminalShortestDelayMs = Math.min(terminalShortestDelayMs, terminalDelays[k]!);
  }
  return {
    slots,
    defaults: Float64Array.from(definitions, (definition) => definition.defaultValue),
    customerWindowsMs: Float64Array.from(customerWindows),
    terminalWindows: { lengthMs: Float64Array.from(terminalLengths), delayMs: Float64Array.from(terminalDelays) },
    customerReachMs: customerWindows.length === 0 ? 0 : Math.max(...customerWindows),
    terminalReachMs,
    terminalShortestDelayMs: terminalLengths.length === 0 ? 0 : terminalShortestDelayMs,
  };
}
