import { resolveSimulationOptions, SimulationOptionError, type SimulationOptions } from '../core/simulate/index.js';

/**
 * The flag behind each generator option (the same in `simulate`, `demo` and `demo-lifecycle`), so that a range error
 * names what the user typed.
 */
const FLAG_OF: Partial<Record<keyof SimulationOptions, string>> = {
  seed: '--seed',
  customers: '--customers',
  terminals: '--terminals',
  days: '--days',
  startMs: '--start',
  labelDelayMinMs: '--label-delay-min-hours',
  labelDelayMaxMs: '--label-delay-max-days',
  genuineLabelRate: '--genuine-label-rate',
  invalidRate: '--invalid-rate',
  driftScenario: '--drift',
  driftFromDay: '--drift-from-day',
  driftAmountFactor: '--drift-amount-factor',
};

/** A generator option error said as the flag's: `--days: must be an integer in [1, 3650], got 0`. */
export function explainOptionError(error: unknown): unknown {
  if (!(error instanceof SimulationOptionError)) return error;
  const flag = FLAG_OF[error.field];
  if (!flag) return error;
  const prefix = `simulation option ${error.field}: `;
  const problem = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new Error(`${flag}: ${problem}`, { cause: error });
}

/**
 * The generator's own validation, run before anything starts (a pipeline, a connection, a progress bar): the ranges
 * live in one place, the generator, and a bad value is refused naming its flag.
 */
export function checkSimulationOptions(options: Partial<SimulationOptions>): SimulationOptions {
  try {
    return resolveSimulationOptions(options);
  } catch (error) {
    throw explainOptionError(error);
  }
}
