import { InvalidArgumentError } from 'commander';
import {
  checkPlan,
  gateBoundProblem,
  parseDuration,
  parsePlan,
  stepProblem,
  type GateBound,
} from '../core/control/index.js';

/**
 * Parsers of numeric flags, for commander's argParser: a value that is not a number in the flag's range is refused
 * while the command line is read, before anything starts. Commander names the flag and the value
 * (`option '--days <n>' argument 'abc' is invalid.`); the message here adds what would be accepted.
 */

export interface IntegerRange {
  /** Inclusive; 0 unless given. */
  readonly min?: number;
  /** Inclusive; none unless given. */
  readonly max?: number;
}

export interface DecimalRange extends IntegerRange {
  /** The minimum itself is refused (a timeout of 0 s, say). */
  readonly minExcluded?: boolean;
}

function rangeText(kind: string, min: number, max: number, minExcluded = false): string {
  if (max === Number.POSITIVE_INFINITY || max === Number.MAX_SAFE_INTEGER) {
    return `expected ${kind} ${minExcluded ? '>' : '>='} ${min}`;
  }
  return minExcluded ? `expected ${kind} > ${min} and <= ${max}` : `expected ${kind} from ${min} to ${max}`;
}

/** Whole numbers written in decimal digits: `1e3` or `0x10` in a count is more likely a slip than meant. */
export function integer({ min = 0, max = Number.MAX_SAFE_INTEGER }: IntegerRange = {}): (value: string) => number {
  const expected = rangeText('an integer', min, max);
  return (value) => {
    const text = value.trim();
    const n = Number(text);
    if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(expected);
    }
    return n;
  };
}

export function decimal({ min = 0, max = Number.POSITIVE_INFINITY, minExcluded = false }: DecimalRange = {}): (
  value: string,
) => number {
  const expected = rangeText('a number', min, max, minExcluded);
  return (value) => {
    const n = Number(value);
    const inRange = minExcluded ? n > min : n >= min;
    if (value.trim() === '' || !Number.isFinite(n) || !inRange || n > max) throw new InvalidArgumentError(expected);
    return n;
  };
}

/** A TCP port; 0 asks the system for any free one. */
export const port = integer({ min: 0, max: 65_535 });

/** Said of a duration flag given a bare number: other flags take seconds, so the unit must be written. */
export const DURATION_UNIT_NEEDED =
  'give its unit, such as 30m, 90s, 2h or 1500ms (a bare number could mean seconds or ms)';

/** A number with no unit after it. */
export const bareNumber = (value: string): boolean => /^\s*\d+(\.\d+)?\s*$/.test(value);

/** A duration with its unit, such as 30m, 90s, 2h or 1500ms, in milliseconds. */
export function duration(value: string): number {
  if (bareNumber(value)) throw new InvalidArgumentError(DURATION_UNIT_NEEDED);
  const ms = parseDuration(value);
  if (ms === null) throw new InvalidArgumentError('expected a duration such as 30m, 90s, 2h or 1500ms');
  return ms;
}

/**
 * A flag in seconds (`--wait`, `--timeout`): a bare number is seconds, and a duration with its unit (90s, 2m, 1500ms)
 * is read as written, so `--wait 60s` means what the duration flags (`--interval 5s`) taught. In (0, max] seconds.
 */
export function seconds({ max }: { readonly max: number }): (value: string) => number {
  const expected = `expected seconds (a number > 0 and <= ${max}) or a duration such as 90s or 2m`;
  return (value) => {
    const text = value.trim();
    const ms = bareNumber(text) ? Number(text) * 1_000 : parseDuration(text);
    if (ms === null || !(ms > 0) || ms > max * 1_000) throw new InvalidArgumentError(expected);
    return ms / 1_000;
  };
}

/**
 * How often the rollout controller judges the gates: at least a second. Each judgement reads the control, score and
 * label views and may write to the control topic; 0 would judge back to back, busy for nothing (labels and scores
 * arrive in seconds, stages last minutes).
 */
export function gateInterval(value: string): number {
  const ms = duration(value);
  if (ms < 1_000) throw new InvalidArgumentError(`at least 1s (${ms} ms would judge the gates back to back)`);
  return ms;
}

/** The minimum time of a rollout stage (`rollout start --step`): at least a minute, as a topology's rollout.stepMs. */
export function rolloutStep(value: string): number {
  const ms = duration(value);
  const problem = stepProblem(ms);
  if (problem !== null) throw new InvalidArgumentError(`${problem}; give --step 1m or more, e.g. --step 30m`);
  return ms;
}

/**
 * A rollout plan such as 1,5,25,50,100, checked as a rollout's start checks it (percentages that increase and end at
 * 100): a plan that could never start is refused here, not after the model is verified and the control topic read.
 */
export function rolloutPlan(value: string): number[] {
  const plan = parsePlan(value);
  if (plan === null) throw new InvalidArgumentError('expected percentages that increase to 100, such as 1,5,25,50,100');
  const problem = checkPlan(plan);
  if (problem !== null) throw new InvalidArgumentError(problem);
  return plan;
}

/** What each gate bound limits, as the flags that set it (`rollout start`, `shadow report`) say in their help. */
export const BOUND_HELP: Readonly<Record<GateBound, string>> = {
  maxScorePsi: 'largest score PSI against the champion',
  maxAlertRateDelta: 'largest |alert-rate difference| with the champion',
  aucMargin: "how far the AUC may fall below the champion's",
};

/** A bound's flag: maxScorePsi → `--max-score-psi <x>`. */
export function boundFlag(bound: GateBound): string {
  return `--${bound.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)} <x>`;
}

/**
 * A gate bound a rollout sets for itself (`rollout start --max-score-psi 2`), in the range of the topology's
 * `rollout.gates` field of the same name: a bound no rollout could start with is refused before anything connects.
 */
export function gateBound(bound: GateBound): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    const problem = gateBoundProblem(bound, n);
    if (problem !== null) throw new InvalidArgumentError(problem);
    return n;
  };
}

/**
 * Text a record must carry, such as a change's --reason or --actor: not empty, not only spaces. Every control record
 * needs both, and one written without would be ignored by every worker.
 */
export function nonBlank(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty: say it in a few words');
  return value;
}
