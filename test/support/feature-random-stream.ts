/**
 * A seeded random event and label stream with everything that makes features hard: customers spread over
 * partitions, shared terminals, equal timestamps, late events (within the lateness margin), fraud labels that
 * arrive before their transaction, duplicate and non-fraud labels, replayed batches and aborted attempts.
 * Used to prove that backends (memory, Redis) and batchings give bit-identical rows.
 */
import assert from 'node:assert/strict';
import type { LabelEvent, PositionedTransaction } from '../../src/core/contract/events.js';
import { DAY_MS } from '../../src/core/features/definitions.js';
import type { FeatureEngine, FeatureRow } from '../../src/core/features/types.js';
import { ReplayableBatches } from './replayable-batches.js';

export interface RandomStreamOptions {
  readonly seed: number;
  readonly events: number;
  readonly customers: number;
  readonly terminals: number;
  readonly partitions: number;
  /** Event-time span of the stream. */
  readonly days: number;
  readonly maxBatch: number;
  /**
   * Share of events that reuse a recent transaction id (one of the last 200 events: within the retention) with
   * their own time and terminal, against the contract: both backends must still agree. Default 0, as the oracle
   * assumes unique ids. (Repeats further apart than the retention may differ: Redis forgets an id by wall-clock
   * TTL, the memory state by event time.)
   */
  readonly repeatedIds?: number;
}

export type StreamStep =
  | { readonly kind: 'labels'; readonly labels: readonly LabelEvent[] }
  /** `aborted`: featurised, rows discarded (the Kafka transaction aborted); its records come again later. */
  | { readonly kind: 'batch'; readonly batch: readonly PositionedTransaction[]; readonly aborted: boolean };

export interface RandomStream {
  readonly steps: readonly StreamStep[];
  readonly events: readonly PositionedTransaction[];
  readonly labels: readonly LabelEvent[];
}

/** mulberry32: tiny, fast, good enough for test data, and identical on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOUR_MS = 3_600_000;
const START_MS = Date.UTC(2024, 2, 1);

export function randomFeatureStream(options: RandomStreamOptions): RandomStream {
  const random = seededRandom(options.seed);
  const int = (n: number) => Math.floor(random() * n);
  const nextOffset = new Array<number>(options.partitions).fill(0);
  const meanGap = (options.days * DAY_MS) / options.events;

  const events: PositionedTransaction[] = [];
  const deliveries: { at: number; label: LabelEvent }[] = [];
  let clock = START_MS;
  for (let n = 0; n < options.events; n++) {
    const roll = random();
    if (roll >= 0.1) {
      // 10% keep the previous timestamp exactly: ties must resolve by log order.
      clock += Math.floor(random() * 2 * meanGap);
    }
    // 4% are late, by up to 12 hours (inside the default one-day lateness margin).
    const eventTimeMs = random() < 0.04 ? clock - int(12 * HOUR_MS) : clock;
    // A few heavy customers and terminals, many light ones.
    const customer = random() < 0.3 ? int(Math.max(1, options.customers / 10)) : int(options.customers);
    const terminal = random() < 0.3 ? int(Math.max(1, options.terminals / 5)) : int(options.terminals);
    const partition = customer % options.partitions;
    const repeat = n > 10 && random() < (options.repeatedIds ?? 0);
    const tx: PositionedTransaction = {
      transactionId: repeat
        ? events[events.length - 1 - int(Math.min(200, events.length))]!.transactionId
        : `tx-${options.seed}-${n}`,
      eventTimeMs,
      customerId: `c${customer}`,
      terminalId: `t${terminal}`,
      amountMinor: 1 + int(50_000),
      currency: 'EUR',
      position: { partition, offset: nextOffset[partition]!++ },
    };
    events.push(tx);

    const labelRoll = random();
    if (labelRoll < 0.12) {
      const reportedAtMs = eventTimeMs + int(15 * DAY_MS) - HOUR_MS;
      const label = { transactionId: tx.transactionId, isFraud: true, reportedAtMs };
      // 15% of labels reach us before their transaction (pending, joined later); the rest some time after the report.
      const at = random() < 0.15 ? eventTimeMs - int(DAY_MS) - 1 : reportedAtMs + int(2 * DAY_MS);
      deliveries.push({ at, label });
      if (random() < 0.2) {
        // A second fraud report for the same transaction, earlier or later: the earliest must win.
        const again = { ...label, reportedAtMs: reportedAtMs + int(4 * DAY_MS) - 2 * DAY_MS };
        deliveries.push({ at: at + int(DAY_MS), label: again });
      }
    } else if (labelRoll < 0.15) {
      deliveries.push({
        at: eventTimeMs + int(10 * DAY_MS),
        label: { transactionId: tx.transactionId, isFraud: false, reportedAtMs: eventTimeMs + int(9 * DAY_MS) },
      });
    }
  }
  deliveries.sort((a, b) => a.at - b.at);

  const steps: StreamStep[] = [];
  let delivered = 0;
  let previousFrom = 0;
  for (let from = 0; from < events.length;) {
    const size = 1 + int(options.maxBatch);
    const batch = events.slice(from, from + size);
    const firstTime = batch[0]!.eventTimeMs;
    const due: LabelEvent[] = [];
    while (delivered < deliveries.length && deliveries[delivered]!.at <= firstTime) {
      due.push(deliveries[delivered++]!.label);
    }
    if (due.length > 0) {
      steps.push({ kind: 'labels', labels: due });
    }
    const roll = random();
    if (roll < 0.06 && batch.length > 1) {
      // An attempt that aborted after writing the state, then the retry with the records and more.
      steps.push({ kind: 'batch', batch: batch.slice(0, 1 + int(batch.length - 1)), aborted: true });
    }
    steps.push({ kind: 'batch', batch, aborted: false });
    if (roll > 0.93) {
      // The same batch delivered again (its transaction committed but the offsets were not seen as committed).
      steps.push({ kind: 'batch', batch, aborted: false });
    } else if (roll > 0.86 && from > 0 && due.length === 0) {
      // The batch before and this one delivered again as one: the group rebalanced while the one before was being
      // committed, after this one was featurised, so neither was committed and the next owner reads both. (Not after
      // labels delivered in between: this stream delivers some labels days after their report, which the pipeline's
      // event-time alignment never does, and such a label may change the replay of a record reported before.)
      steps.push({ kind: 'batch', batch: events.slice(previousFrom, from + batch.length), aborted: false });
    }
    previousFrom = from;
    from += batch.length;
  }
  if (delivered < deliveries.length) {
    steps.push({ kind: 'labels', labels: deliveries.slice(delivered).map((d) => d.label) });
  }
  return { steps, events, labels: deliveries.map((d) => d.label) };
}

/**
 * Feeds the steps to the engine. Returns the rows of every non-aborted batch in order, replays included, and checks
 * on the way that a transaction featurised again gets exactly the row it got the first time.
 */
export async function runStream(engine: FeatureEngine, steps: readonly StreamStep[]): Promise<FeatureRow[]> {
  const rows: FeatureRow[] = [];
  const first = new Map<string, Float64Array>();
  // Deeper than the runner's one batch: the stream replays the last two batches, also after an aborted attempt.
  const replayable = new ReplayableBatches(3);
  for (const step of steps) {
    if (step.kind === 'labels') {
      await engine.ingestLabels(step.labels);
      continue;
    }
    const batchRows = await engine.featurize(step.batch, [], replayable.floorMs());
    replayable.recorded(step.batch);
    if (step.aborted) {
      continue;
    }
    step.batch.forEach((tx, i) => {
      const values = batchRows[i]!.values;
      // A replay is the same log position again (ids may repeat across positions in some streams).
      const position = `${tx.position.partition}:${tx.position.offset}`;
      const earlier = first.get(position);
      if (earlier === undefined) {
        first.set(position, values);
      } else {
        assert.deepEqual(Array.from(values), Array.from(earlier), `replayed ${tx.transactionId} changed`);
      }
    });
    rows.push(...batchRows);
  }
  return rows;
}

/** Re-cuts the stream's events into batches of a fixed size, all labels first (as the backfill does). */
export function rebatched(stream: RandomStream, size: number): StreamStep[] {
  const steps: StreamStep[] = [{ kind: 'labels', labels: stream.labels }];
  for (let from = 0; from < stream.events.length; from += size) {
    steps.push({ kind: 'batch', batch: stream.events.slice(from, from + size), aborted: false });
  }
  return steps;
}
