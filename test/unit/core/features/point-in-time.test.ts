/**
 * Invariant 2, point-in-time correctness, as metamorphic properties: whatever is appended after a cutoff C (labels
 * reported after C; events after C in event time, later in log order, with their labels), a fresh replay gives every
 * event at t ≤ C exactly the row it had without the appendix. The engine tests compare with an oracle that is
 * point-in-time by construction; these need no oracle, so they would also catch a leak that engine and oracle shared.
 *
 * Replays run as the backfill does: memory state, every label first, then the events in log order, in batches of a
 * random size (the rows must not depend on it either).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LabelEvent, PositionedTransaction } from '../../../../src/core/contract/events.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../../src/core/features/memory-state.js';

const LABEL_DELAY_MS = 7 * DAY_MS;
const HOUR_MS = 3_600_000;
const START_MS = Date.UTC(2024, 4, 6);
const PARTITIONS = 2;
/** Few entities, so that windows fill up and terminals are shared across partitions. */
const CUSTOMERS = 6;
const TERMINALS = 3;

interface EventDraft {
  /** Time since the previous event; 0 makes a tie. */
  readonly gapMs: number;
  /** Late by this much behind the stream's clock: within the one-day lateness margin. */
  readonly lateMs: number;
  readonly customer: number;
  readonly terminal: number;
  readonly amountMinor: number;
}

interface LabelDraft {
  /** Index (mod the number of targets) of the transaction the label is for. */
  readonly target: number;
  readonly isFraud: boolean;
  readonly reportedAfterMs: number;
}

const eventDraft = fc.record({
  gapMs: fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 2 * DAY_MS }) },
  ),
  lateMs: fc.oneof(
    { weight: 9, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 * HOUR_MS }) },
  ),
  customer: fc.integer({ min: 0, max: CUSTOMERS - 1 }),
  terminal: fc.integer({ min: 0, max: TERMINALS - 1 }),
  amountMinor: fc.integer({ min: 0, max: 100_000 }),
});

/** Reported from a day before the event (a label may precede its transaction) to 15 days after it. */
const baseLabelDraft = fc.record({
  target: fc.nat(),
  isFraud: fc.boolean(),
  reportedAfterMs: fc.integer({ min: -DAY_MS, max: 15 * DAY_MS }),
});

/** Appended labels are reported after the cutoff (reportedAfterMs counts from C + 1), often just after it. */
const laterLabelDraft = fc.record({
  target: fc.nat(),
  isFraud: fc.boolean(),
  reportedAfterMs: fc.oneof(fc.integer({ min: 0, max: DAY_MS }), fc.integer({ min: 0, max: 40 * DAY_MS })),
});

const baseStream = fc.record({
  // size 'max': fast-check's default size keeps arrays to about ten items, too few to fill 30-day windows.
  events: fc.array(eventDraft, { minLength: 1, maxLength: 80, size: 'max' }),
  labels: fc.array(baseLabelDraft, { maxLength: 40, size: 'max' }),
  /** Which base event's time the cutoff starts from, and how far after it. */
  cutAt: fc.nat(),
  cutAfterMs: fc.integer({ min: 0, max: DAY_MS }),
  batchSizes: fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })),
});

/** Positions in log order: a customer's events in one partition (customer mod partitions), offsets counting up. */
class Log {
  private readonly nextOffset = new Array<number>(PARTITIONS).fill(0);
  readonly events: PositionedTransaction[] = [];

  append(id: string, draft: EventDraft, eventTimeMs: number): PositionedTransaction {
    const partition = draft.customer % PARTITIONS;
    const tx: PositionedTransaction = {
      transactionId: id,
      eventTimeMs,
      customerId: `c${draft.customer}`,
      terminalId: `t${draft.terminal}`,
      amountMinor: draft.amountMinor,
      currency: 'EUR',
      position: { partition, offset: this.nextOffset[partition]!++ },
    };
    this.events.push(tx);
    return tx;
  }
}

function buildBase(drafts: readonly EventDraft[]): Log {
  const log = new Log();
  let clock = START_MS;
  drafts.forEach((draft, n) => {
    clock += draft.gapMs;
    log.append(`b${n}`, draft, clock - draft.lateMs);
  });
  return log;
}

function labelsFor(
  drafts: readonly LabelDraft[],
  targets: readonly PositionedTransaction[],
  reportedFrom: (tx: PositionedTransaction) => number,
): LabelEvent[] {
  if (targets.length === 0) return [];
  return drafts.map((draft) => {
    const tx = targets[draft.target % targets.length]!;
    return {
      transactionId: tx.transactionId,
      isFraud: draft.isFraud,
      reportedAtMs: reportedFrom(tx) + draft.reportedAfterMs,
    };
  });
}

/** A fresh backfill-style replay: every label first, then the events in log order in batches of `batchSize`. */
async function replay(
  events: readonly PositionedTransaction[],
  labels: readonly LabelEvent[],
  batchSize: number,
): Promise<Map<string, number[]>> {
  const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
  await engine.ingestLabels(labels);
  const rows = new Map<string, number[]>();
  for (let from = 0; from < events.length; from += batchSize) {
    const batch = events.slice(from, from + batchSize);
    const batchRows = await engine.featurize(batch);
    batch.forEach((tx, i) => rows.set(tx.transactionId, Array.from(batchRows[i]!.values)));
  }
  return rows;
}

/** The first feature of an event at t ≤ cutoff whose value differs in any bit, or null. */
function firstDifference(
  events: readonly PositionedTransaction[],
  cutoffMs: number,
  before: Map<string, number[]>,
  after: Map<string, number[]>,
): string | null {
  for (const tx of events) {
    if (tx.eventTimeMs > cutoffMs) continue;
    const a = before.get(tx.transactionId)!;
    const b = after.get(tx.transactionId)!;
    for (let f = 0; f < a.length; f++) {
      if (!Object.is(a[f], b[f])) {
        const name = FEATURE_SCHEMA.names[f]!;
        return `${tx.transactionId} (t = C − ${cutoffMs - tx.eventTimeMs} ms) ${name}: ${a[f]} became ${b[f]}`;
      }
    }
  }
  return null;
}

/** Whether any row after the cutoff changed: the appendix did reach the engine, so the property is not vacuous. */
function laterRowChanged(
  events: readonly PositionedTransaction[],
  cutoffMs: number,
  before: Map<string, number[]>,
  after: Map<string, number[]>,
): boolean {
  return events.some(
    (tx) =>
      tx.eventTimeMs > cutoffMs &&
      before.get(tx.transactionId)!.some((value, f) => !Object.is(value, after.get(tx.transactionId)![f])),
  );
}

/** An appended event a window would reach if it looked forward from tx: same customer or terminal, within 30 days. */
function nearby(tx: PositionedTransaction, appended: PositionedTransaction): boolean {
  const sameEntity = tx.customerId === appended.customerId || tx.terminalId === appended.terminalId;
  return sameEntity && appended.eventTimeMs - tx.eventTimeMs <= 30 * DAY_MS;
}

function cutoffOf(events: readonly PositionedTransaction[], cutAt: number, cutAfterMs: number): number {
  return events[cutAt % events.length]!.eventTimeMs + cutAfterMs;
}

describe('point-in-time correctness (memory state, fresh replays)', () => {
  it('a label reported after t never changes a feature at t', async () => {
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(
        baseStream,
        fc.array(laterLabelDraft, { minLength: 1, maxLength: 30, size: 'max' }),
        async (base, later) => {
          const log = buildBase(base.events);
          const labels = labelsFor(base.labels, log.events, (tx) => tx.eventTimeMs);
          const cutoffMs = cutoffOf(log.events, base.cutAt, base.cutAfterMs);
          // For base transactions, already labelled or not: an earlier fraud report than a known one is appended too.
          const appended = labelsFor(later, log.events, () => cutoffMs + 1);
          const before = await replay(log.events, labels, base.batchSizes[0]);
          // Appended labels go first in the label stream as well: the order labels arrive in must not matter.
          const after = await replay(log.events, [...appended, ...labels], base.batchSizes[1]);
          if (laterRowChanged(log.events, cutoffMs, before, after)) reached++;
          assert.equal(firstDifference(log.events, cutoffMs, before, after), null);
        },
      ),
      { numRuns: 150 },
    );
    assert.ok(reached > 0, 'no appended label ever changed a later row: the property would hold vacuously');
  });

  it('an event after t (in event time, appended later in log order) never changes a feature at t', async () => {
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(
        baseStream,
        fc.array(eventDraft, { minLength: 1, maxLength: 40, size: 'max' }),
        fc.array(laterLabelDraft, { maxLength: 20, size: 'max' }),
        async (base, laterEvents, laterLabels) => {
          const log = buildBase(base.events);
          const labels = labelsFor(base.labels, log.events, (tx) => tx.eventTimeMs);
          const cutoffMs = cutoffOf(log.events, base.cutAt, base.cutAfterMs);
          const before = await replay(log.events, labels, base.batchSizes[0]);

          // After the cutoff in event time (ties among them, some late within the margin, never at or before C),
          // after every base event in log order, on the same customers and terminals.
          const baseCount = log.events.length;
          let clock = cutoffMs + 1;
          laterEvents.forEach((draft, n) => {
            clock += draft.gapMs;
            log.append(`a${n}`, draft, Math.max(cutoffMs + 1, clock - draft.lateMs));
          });
          const appendedEvents = log.events.slice(baseCount);
          // Their labels are reported at or after their event time, so after C too.
          const appendedLabels = labelsFor(laterLabels, appendedEvents, (tx) => tx.eventTimeMs);
          const after = await replay(log.events, [...labels, ...appendedLabels], base.batchSizes[1]);

          const baseEvents = log.events.slice(0, baseCount);
          if (baseEvents.some((tx) => tx.eventTimeMs <= cutoffMs && appendedEvents.some((a) => nearby(tx, a))))
            reached++;
          assert.equal(firstDifference(baseEvents, cutoffMs, before, after), null);
        },
      ),
      { numRuns: 150 },
    );
    assert.ok(reached > 0, 'no appended event was ever within reach of an earlier one: the property would be vacuous');
  });
});
