import type { LabelEvent } from '../contract/events.js';
import { generateDay } from './day.js';
import { CompromiseSchedule, FraudScenario } from './fraud.js';
import { HOSTILE_KINDS, makeHostileRecord } from './hostile.js';
import { customerId, hostileId, terminalId, transactionId } from './ids.js';
import { LabelQueue, type QueuedLabel } from './label-queue.js';
import { resolveSimulationOptions, type SimulationOptions } from './options.js';
import { Prng } from './prng.js';
import { generatePopulation } from './profiles.js';
import type { SimulatedTransaction } from './records.js';
import type { SimulatedRecord } from './simulated-record.js';
import { Stream } from './streams.js';

/**
 * The whole simulation as one lazy stream in simulated-time order: transactions at their event time, each label at
 * its reported_at, hostile records right after the payment they imitate. A label is emitted before a transaction with
 * the same timestamp, matching "a feature at t sees the labels reported at or before t". Ties between labels break on
 * transaction number, so the order is total and the output byte-for-byte reproducible.
 *
 * Memory: one day of traffic plus the labels still waiting (at most the label delay's worth), never the whole run.
 */
export function* simulate(overrides: Partial<SimulationOptions> = {}): Generator<SimulatedRecord, void, undefined> {
  const options = resolveSimulationOptions(overrides);
  const population = generatePopulation(options.seed, options.customers, options.terminals, options.radius);
  const schedule = new CompromiseSchedule(options);
  const pending = new LabelQueue();
  const delaySpan = options.labelDelayMaxMs - options.labelDelayMinMs + 1;
  let transactionNumber = 0;
  let hostileNumber = 0;

  for (let day = 0; day < options.days; day++) {
    const labelRng = Prng.forStream(options.seed, Stream.Labels, day);
    const hostileRng = Prng.forStream(options.seed, Stream.Hostile, day);
    for (const draft of generateDay(options, population, schedule, day)) {
      while (pending.peekReportedAt() <= draft.eventTimeMs) {
        yield { kind: 'label', label: toLabel(options.seed, pending.pop()!) };
      }
      const event: SimulatedTransaction = {
        number: transactionNumber,
        transactionId: transactionId(options.seed, transactionNumber),
        eventTimeMs: draft.eventTimeMs,
        customerId: customerId(draft.customer),
        terminalId: terminalId(draft.terminal),
        amount: draft.amountMinor / 100,
        amountMinor: draft.amountMinor,
        currency: options.currency,
        scenario: draft.scenario,
      };
      yield { kind: 'transaction', event };

      // Draw both decisions for every transaction, used or not, so one knob does not shift the other's draws.
      const hostile = hostileRng.nextFloat() < options.invalidRate;
      if (hostile) {
        const kind = HOSTILE_KINDS[hostileNumber % HOSTILE_KINDS.length]!;
        yield { kind: 'hostile', record: makeHostileRecord(kind, hostileId(options.seed, hostileNumber), event) };
        hostileNumber += 1;
      }
      const isFraud = draft.scenario !== FraudScenario.None;
      const sampled = labelRng.nextFloat() < options.genuineLabelRate;
      const delay = options.labelDelayMinMs + labelRng.int(delaySpan);
      if (isFraud || sampled) {
        pending.push({ reportedAtMs: draft.eventTimeMs + delay, transactionNumber, isFraud });
      }
      transactionNumber += 1;
    }
  }
  // Labels of the last week arrive after the traffic ends: emit them, or the last frauds would never be reported.
  while (pending.size > 0) yield { kind: 'label', label: toLabel(options.seed, pending.pop()!) };
}

function toLabel(seed: number, queued: QueuedLabel): LabelEvent {
  return {
    transactionId: transactionId(seed, queued.transactionNumber),
    isFraud: queued.isFraud,
    reportedAtMs: queued.reportedAtMs,
  };
}
