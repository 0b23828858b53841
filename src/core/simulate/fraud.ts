import { Prng } from './prng.js';
import { Stream } from './streams.js';

/** Ground truth of a simulated transaction: which scenario made it fraud, if any. */
export const FraudScenario = {
  None: 'none',
  /** Scenario 1: the amount is above the outlier threshold. */
  AmountOutlier: 'amount-outlier',
  /** Scenario 2: the terminal was compromised; everything it takes in the period is fraud. */
  CompromisedTerminal: 'compromised-terminal',
  /** Scenario 3: the card was compromised; a share of its payments are abused, at a multiplied amount. */
  CompromisedCard: 'compromised-card',
} as const;
export type FraudScenario = (typeof FraudScenario)[keyof typeof FraudScenario];

export const FRAUD_SCENARIOS: readonly FraudScenario[] = [
  FraudScenario.AmountOutlier,
  FraudScenario.CompromisedTerminal,
  FraudScenario.CompromisedCard,
];

export interface CompromiseSettings {
  readonly seed: number;
  readonly customers: number;
  readonly terminals: number;
  readonly compromisedTerminalRate: number;
  readonly terminalCompromiseDays: number;
  readonly compromisedCardRate: number;
  readonly cardCompromiseDays: number;
}

/**
 * Which terminals and cards are compromised on a given day. Each day a Poisson number of random terminals (cards) is
 * compromised from that day on for a fixed number of days; being hit again extends the period. Days must be visited
 * in order, which is how the generator walks them; state is one integer per terminal and per card.
 */
export class CompromiseSchedule {
  /** First day on which the entity is clean again; 0 or less = not compromised on any simulated day. */
  private readonly terminalUntil: Int32Array;
  private readonly cardUntil: Int32Array;
  private nextDay = 0;

  constructor(private readonly settings: CompromiseSettings) {
    this.terminalUntil = new Int32Array(settings.terminals);
    this.cardUntil = new Int32Array(settings.customers);
    // Warm-up: replay the compromises of the days before day 0, as if fraud had been going on all along. Without it
    // the fraud rate ramps up over the first 4 weeks (a 10-day run would show a third of the steady rate), and a short
    // demo would miss scenarios entirely.
    const warmUpDays = Math.max(settings.terminalCompromiseDays, settings.cardCompromiseDays);
    for (let day = -warmUpDays; day < 0; day++) this.draw(day);
  }

  /** Draws the day's new compromises. Call once per day, in order. */
  startDay(day: number): void {
    if (day !== this.nextDay) throw new Error(`compromise schedule expects day ${this.nextDay}, got ${day}`);
    this.nextDay += 1;
    this.draw(day);
  }

  private draw(day: number): void {
    const s = this.settings;
    const rng = Prng.forStream(s.seed, Stream.Compromise, day);
    compromise(rng, this.terminalUntil, s.terminals * s.compromisedTerminalRate, day + s.terminalCompromiseDays);
    compromise(rng, this.cardUntil, s.customers * s.compromisedCardRate, day + s.cardCompromiseDays);
  }

  isTerminalCompromised(terminal: number, day: number): boolean {
    return this.terminalUntil[terminal]! > day;
  }

  isCardCompromised(customer: number, day: number): boolean {
    return this.cardUntil[customer]! > day;
  }
}

function compromise(rng: Prng, until: Int32Array, expected: number, endDay: number): void {
  const count = rng.poisson(expected);
  for (let i = 0; i < count; i++) {
    const victim = rng.int(until.length);
    until[victim] = Math.max(until[victim]!, endDay);
  }
}
