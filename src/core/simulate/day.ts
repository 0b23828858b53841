import { FraudScenario, type CompromiseSchedule } from './fraud.js';
import { DAY_MS, DriftScenario, type SimulationOptions } from './options.js';
import { Prng } from './prng.js';
import type { Population } from './profiles.js';
import { Stream } from './streams.js';

/** Payments cluster around noon: the handbook's time of day is normal with mean 12:00 and sd 20,000 s (~5.6 h). */
const TIME_OF_DAY_MEAN_MS = DAY_MS / 2;
const TIME_OF_DAY_SD_MS = 20_000_000;

/** One day's transaction before it is numbered and labelled. Amounts stay in integer cents until they leave. */
export interface DraftTransaction {
  readonly eventTimeMs: number;
  readonly customer: number;
  readonly terminal: number;
  readonly amountMinor: number;
  readonly scenario: FraudScenario;
}

interface Drawn {
  eventTimeMs: number;
  customer: number;
  terminal: number;
  amountMinor: number;
  /** Draw order: breaks event-time ties so that sorting is deterministic whatever the sort algorithm. */
  order: number;
}

/** Genuine traffic of one day, as in the handbook: per customer a Poisson count, a time, an amount, a terminal. */
function drawTraffic(options: SimulationOptions, population: Population, day: number): Drawn[] {
  const rng = Prng.forStream(options.seed, Stream.Traffic, day);
  const { customers } = population;
  const dayStartMs = options.startMs + day * DAY_MS;
  const drawn: Drawn[] = [];
  for (let c = 0; c < customers.count; c++) {
    const count = rng.poisson(customers.meanTxPerDay[c]!);
    const first = customers.terminalStart[c]!;
    const usable = customers.terminalStart[c + 1]! - first;
    for (let k = 0; k < count; k++) {
      const timeOfDay = Math.floor(rng.normal(TIME_OF_DAY_MEAN_MS, TIME_OF_DAY_SD_MS));
      const mean = customers.meanAmount[c]!;
      let amount = rng.normal(mean, customers.stdAmount[c]!);
      // The handbook redraws a negative amount uniformly in [0, 2 * mean] rather than clipping it to 0: clipping would
      // pile ~2 % of all payments onto exactly 0.00, a spike a model could learn as a signal.
      if (amount < 0) amount = rng.uniform(0, 2 * mean);
      const terminalPick = rng.int(Math.max(usable, 1));
      // Times that fall outside the day are dropped (a slightly thinner tail), and a customer with no terminal in reach
      // makes no payments; the draws above happen anyway so that one such case does not shift everything after it.
      if (timeOfDay < 0 || timeOfDay >= DAY_MS || usable === 0) continue;
      drawn.push({
        eventTimeMs: dayStartMs + timeOfDay,
        customer: c,
        terminal: customers.terminalIndex[first + terminalPick]!,
        amountMinor: Math.round(amount * 100),
        order: drawn.length,
      });
    }
  }
  drawn.sort((a, b) => a.eventTimeMs - b.eventTimeMs || a.order - b.order);
  return drawn;
}

/**
 * One day of traffic with its frauds injected, in event-time order. The schedule is advanced to this day, so days
 * must be generated in order. Precedence follows the handbook, where later scenarios overwrite earlier ones:
 * an abused compromised card beats a compromised terminal beats an outlier amount.
 */
export function generateDay(
  options: SimulationOptions,
  population: Population,
  schedule: CompromiseSchedule,
  day: number,
): DraftTransaction[] {
  schedule.startDay(day);
  const abuse = Prng.forStream(options.seed, Stream.CardAbuse, day);
  const thresholdMinor = Math.round(options.amountOutlierThreshold * 100);
  return drawTraffic(options, population, day).map((tx): DraftTransaction => {
    let amountMinor = tx.amountMinor;
    let scenario: FraudScenario = FraudScenario.None;
    if (amountMinor > thresholdMinor) scenario = FraudScenario.AmountOutlier;
    if (schedule.isTerminalCompromised(tx.terminal, day)) scenario = FraudScenario.CompromisedTerminal;
    if (schedule.isCardCompromised(tx.customer, day) && abuse.bernoulli(options.compromisedCardFraudShare)) {
      amountMinor = Math.round(amountMinor * options.compromisedCardAmountFactor);
      scenario = FraudScenario.CompromisedCard;
    }
    return drifted(options, day, {
      eventTimeMs: tx.eventTimeMs,
      customer: tx.customer,
      terminal: tx.terminal,
      amountMinor,
      scenario,
    });
  });
}

/**
 * The declared drift (options.driftScenario), applied after the ground truth is set. It draws no random numbers, so
 * `none` and the days before the drift are exactly the traffic without it.
 */
function drifted(options: SimulationOptions, day: number, tx: DraftTransaction): DraftTransaction {
  if (day < options.driftFromDay) return tx;
  switch (options.driftScenario) {
    case DriftScenario.None:
      return tx;
    case DriftScenario.AmountShift:
      return { ...tx, amountMinor: Math.round(tx.amountMinor * options.driftAmountFactor) };
    case DriftScenario.NewTerminals:
      return { ...tx, terminal: tx.terminal + options.terminals };
  }
}
