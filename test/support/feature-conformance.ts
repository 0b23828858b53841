/**
 * The feature conformance suite: one table of hand-computed cases, run against every feature state backend
 * (test/unit/core/features/conformance.test.ts: memory; test/integration/adapters/redis/feature-state.test.ts:
 * Redis). Each case runs under several batchings (each step one batch, one record per batch, two per batch): the
 * rows must not depend on where batch boundaries fall, and a record featurised again (a replay) must get the very
 * same row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LabelEvent, PositionedTransaction } from '../../src/core/contract/events.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../src/core/features/engine.js';
import type { FeatureStatePort } from '../../src/core/features/state-port.js';
import type { FeatureRow } from '../../src/core/features/types.js';
import { ReplayableBatches } from './replayable-batches.js';

export interface StateHarness {
  readonly state: FeatureStatePort;
  cleanup(): Promise<void>;
}
export type StateFactory = () => Promise<StateHarness>;

export type FeatureName = (typeof FEATURE_SCHEMA.names)[number];

interface EventSpec {
  readonly id: string;
  readonly customer: string;
  readonly terminal: string;
  readonly t: number;
  readonly amountMinor: number;
  /** Default 0; offsets are assigned in order of first appearance, per partition. */
  readonly partition?: number;
  /** The transaction id, when it is not `id` (a producer's retry repeats an id): `id` still names the event here. */
  readonly transactionId?: string;
  /** An explicit offset (a topic recreated under the same key prefix restarts its offsets). */
  readonly offset?: number;
}

/** A string refers to an event defined in an earlier step: it is delivered again with the same position. */
type EventRef = EventSpec | string;

export type Step =
  | { readonly kind: 'events'; readonly events: readonly EventRef[] }
  /** Featurised and recorded, but the rows are thrown away: a batch whose Kafka transaction aborted. */
  | { readonly kind: 'aborted'; readonly events: readonly EventRef[] }
  | { readonly kind: 'labels'; readonly labels: readonly LabelEvent[] };

export interface ConformanceCase {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Expected feature values by event name (only the features named; exact equality). */
  readonly expect: Readonly<Record<string, Partial<Record<string, number>>>>;
  /** Events that must come out as duplicates: event name → the event whose position the duplicate names. */
  readonly duplicates?: Readonly<Record<string, string>>;
}

const H = 3_600_000;
const D = DAY_MS;
/** Wednesday 2024-01-10 12:00 UTC. */
const T0 = Date.UTC(2024, 0, 10, 12);
const LABEL_DELAY_MS = 7 * D;

const ev = (
  id: string,
  customer: string,
  terminal: string,
  t: number,
  amountMinor: number,
  partition = 0,
  more: Pick<EventSpec, 'transactionId' | 'offset'> = {},
): EventSpec => ({ id, customer, terminal, t, amountMinor, partition, ...more });
const events = (...list: EventRef[]): Step => ({ kind: 'events', events: list });
const aborted = (...list: EventRef[]): Step => ({ kind: 'aborted', events: list });
const labels = (...list: [string, boolean, number][]): Step => ({
  kind: 'labels',
  labels: list.map(([transactionId, isFraud, reportedAtMs]) => ({ transactionId, isFraud, reportedAtMs })),
});

/** Seven terminal transactions around the edges of the windows of a transaction at T0 (d = 7 days). */
function terminalEdges(prefix: string, terminal: string): EventSpec[] {
  return [
    ev(`${prefix}-37d`, `${prefix}-c1`, terminal, T0 - 37 * D, 100), // t − d − 30d: outside (start excluded)
    ev(`${prefix}-37d+1`, `${prefix}-c2`, terminal, T0 - 37 * D + 1, 100),
    ev(`${prefix}-14d`, `${prefix}-c3`, terminal, T0 - 14 * D, 100), // t − d − 7d: outside the 7-day window
    ev(`${prefix}-8d`, `${prefix}-c4`, terminal, T0 - 8 * D, 100), // t − d − 1d: outside the 1-day window
    ev(`${prefix}-8d+1`, `${prefix}-c5`, terminal, T0 - 8 * D + 1, 100),
    ev(`${prefix}-7d`, `${prefix}-c6`, terminal, T0 - 7 * D, 100), // t − d: inside (end included)
    ev(`${prefix}-7d+1`, `${prefix}-c7`, terminal, T0 - 7 * D + 1, 100), // after t − d: not yet settled, outside
  ];
}

export const conformanceCases: readonly ConformanceCase[] = [
  {
    name: 'transaction features: amount in major units, UTC weekend and night edges',
    steps: [
      events(
        ev('a-sat', 'a1', 'ta1', Date.UTC(2024, 0, 13, 12), 12345),
        ev('a-sun-late', 'a2', 'ta2', Date.UTC(2024, 0, 14, 23, 59, 59, 999), 250),
        ev('a-mon-0h', 'a3', 'ta3', Date.UTC(2024, 0, 15, 0), 999),
        ev('a-fri-late', 'a4', 'ta4', Date.UTC(2024, 0, 12, 23, 59, 59, 999), 1),
        ev('a-wed-6h59', 'a5', 'ta5', Date.UTC(2024, 0, 10, 6, 59, 59, 999), 0),
        ev('a-wed-7h', 'a6', 'ta6', Date.UTC(2024, 0, 10, 7), 100),
      ),
    ],
    expect: {
      'a-sat': {
        amount: 123.45,
        tx_during_weekend: 1,
        tx_during_night: 0,
        customer_nb_tx_1d: 1,
        customer_avg_amount_1d: 123.45,
        customer_avg_amount_30d: 123.45,
        terminal_nb_tx_30d: 0,
        terminal_risk_30d: 0,
      },
      'a-sun-late': { amount: 2.5, tx_during_weekend: 1, tx_during_night: 0 },
      'a-mon-0h': { amount: 9.99, tx_during_weekend: 0, tx_during_night: 1 },
      'a-fri-late': { amount: 0.01, tx_during_weekend: 0, tx_during_night: 0 },
      'a-wed-6h59': { amount: 0, tx_during_weekend: 0, tx_during_night: 1, customer_avg_amount_1d: 0 },
      'a-wed-7h': { tx_during_night: 0 },
    },
  },
  {
    name: 'customer windows: exactly w days ago is out, the current transaction is in',
    steps: [
      events(
        ev('b-30d', 'cb', 'tb1', T0 - 30 * D, 100),
        ev('b-30d+1', 'cb', 'tb2', T0 - 30 * D + 1, 200),
        ev('b-7d', 'cb', 'tb3', T0 - 7 * D, 400),
        ev('b-1d', 'cb', 'tb4', T0 - 1 * D, 800),
        ev('b-1ms', 'cb', 'tb5', T0 - 1, 1600),
        ev('b-now', 'cb', 'tb6', T0, 3200),
      ),
    ],
    expect: {
      'b-30d': { customer_nb_tx_1d: 1, customer_avg_amount_1d: 1, customer_nb_tx_30d: 1, customer_avg_amount_30d: 1 },
      'b-30d+1': { customer_nb_tx_1d: 2, customer_avg_amount_1d: 300 / 2 / 100, customer_nb_tx_7d: 2 },
      'b-7d': {
        customer_nb_tx_1d: 1,
        customer_nb_tx_7d: 1,
        customer_avg_amount_7d: 4,
        customer_nb_tx_30d: 3,
        customer_avg_amount_30d: 700 / 3 / 100,
      },
      'b-now': {
        customer_nb_tx_1d: 2,
        customer_avg_amount_1d: 4800 / 2 / 100,
        customer_nb_tx_7d: 3,
        customer_avg_amount_7d: 5600 / 3 / 100,
        customer_nb_tx_30d: 5,
        customer_avg_amount_30d: 6200 / 5 / 100,
      },
    },
  },
  {
    name: 'customer windows: of equal timestamps, earlier in log order count and later ones do not',
    steps: [events(ev('c1', 'cc', 'tc', T0, 100), ev('c2', 'cc', 'tc', T0, 200), ev('c3', 'cc', 'tc', T0, 300))],
    expect: {
      c1: { customer_nb_tx_1d: 1, customer_avg_amount_1d: 1 },
      c2: { customer_nb_tx_1d: 2, customer_avg_amount_1d: 300 / 2 / 100 },
      c3: { customer_nb_tx_30d: 3, customer_avg_amount_30d: 600 / 3 / 100 },
    },
  },
  {
    name: 'a late event sees what precedes it in time and log order, and rewrites nothing',
    steps: [
      events(ev('d1', 'cd', 'td', T0, 100), ev('d2-late', 'cd', 'td', T0 - 2 * H, 200)),
      events(ev('d3', 'cd', 'td', T0 + H, 400)),
      // d1 delivered again after the late event: its row must be the one computed first.
      events('d1'),
    ],
    expect: {
      d1: { customer_nb_tx_1d: 1, customer_avg_amount_1d: 1 },
      'd2-late': { customer_nb_tx_1d: 1, customer_avg_amount_1d: 2 },
      d3: { customer_nb_tx_1d: 3, customer_avg_amount_1d: 700 / 3 / 100 },
    },
  },
  {
    name: 'a customer on two partitions (after a repartition): log order across partitions is batch order',
    steps: [
      events(ev('e1', 'ce', 'te', T0 - H, 100, 0)),
      // e3 is in e2's window but after it in log order (same batch, other partition): it must not count for e2.
      events(ev('e2', 'ce', 'te', T0, 200, 1), ev('e3', 'ce', 'te', T0 - 10 * 60_000, 400, 0)),
      events(ev('e4', 'ce', 'te', T0 + 60_000, 800, 1)),
    ],
    expect: {
      e2: { customer_nb_tx_1d: 2, customer_avg_amount_1d: 300 / 2 / 100 },
      e3: { customer_nb_tx_1d: 2, customer_avg_amount_1d: 500 / 2 / 100 },
      e4: { customer_nb_tx_1d: 4, customer_avg_amount_1d: 1500 / 4 / 100 },
    },
  },
  {
    name: 'terminal windows end at t − d (included), start excluded, never include the current transaction',
    steps: [
      events(...terminalEdges('f', 'tf')),
      events(ev('f-now', 'cf', 'tf', T0, 100), ev('f-now-2', 'cf2', 'tf', T0, 100)),
    ],
    expect: {
      'f-37d': { terminal_nb_tx_1d: 0, terminal_nb_tx_30d: 0, terminal_risk_30d: 0 },
      'f-now': {
        terminal_nb_tx_1d: 2,
        terminal_nb_tx_7d: 3,
        terminal_nb_tx_30d: 5,
        terminal_risk_1d: 0,
        terminal_risk_7d: 0,
        terminal_risk_30d: 0,
      },
      'f-now-2': { terminal_nb_tx_1d: 2, terminal_nb_tx_7d: 3, terminal_nb_tx_30d: 5 },
    },
  },
  {
    name: 'terminal risk counts fraud labels reported at or before t; later reports and non-fraud labels do not',
    steps: [
      events(...terminalEdges('g', 'tg')),
      labels(['g-8d+1', true, T0 - 1], ['g-8d', true, T0 + 1], ['g-14d', true, T0], ['g-7d', false, T0 - 3 * D]),
      events(ev('g-now', 'cg', 'tg', T0, 100), ev('g-now+2', 'cg', 'tg', T0 + 2, 100)),
    ],
    expect: {
      'g-now': {
        terminal_nb_tx_1d: 2,
        terminal_risk_1d: 1 / 2,
        terminal_nb_tx_7d: 3,
        terminal_risk_7d: 1 / 3,
        terminal_nb_tx_30d: 5,
        terminal_risk_30d: 2 / 5,
      },
      // Its windows end 2 ms later: g-7d+1 is now settled and in, g-8d+1 has left the 1-day window, g-8d's label
      // (reported at T0 + 1) is now known.
      'g-now+2': {
        terminal_nb_tx_1d: 2,
        terminal_risk_1d: 0,
        terminal_nb_tx_7d: 4,
        terminal_risk_7d: 2 / 4,
        terminal_nb_tx_30d: 5,
        terminal_risk_30d: 3 / 5,
      },
    },
  },
  {
    name: 'a fraud label that arrives before its transaction is joined when the transaction comes; earliest wins',
    steps: [
      labels(['hx', true, T0 - 2 * D], ['hx', true, T0 + 5 * D], ['h-never', true, T0 - 9 * D], ['hz', true, T0 + 1]),
      events(ev('hx', 'hcx', 'th', T0 - 10 * D, 100), ev('hz', 'hcz', 'th2', T0 - 10 * D, 100)),
      labels(['hx', true, T0 + 3 * D]),
      events(ev('h-now', 'hc', 'th', T0, 100), ev('h-now-2', 'hc2', 'th2', T0, 100)),
    ],
    expect: {
      'h-now': {
        terminal_nb_tx_1d: 0,
        terminal_risk_1d: 0,
        terminal_nb_tx_7d: 1,
        terminal_risk_7d: 1,
        terminal_nb_tx_30d: 1,
        terminal_risk_30d: 1,
      },
      // hz's label was reported at T0 + 1, after h-now-2's event time: not known yet.
      'h-now-2': { terminal_nb_tx_7d: 1, terminal_risk_7d: 0 },
    },
  },
  {
    name: 'a replayed batch gives identical rows and counts nothing twice',
    steps: [
      events(ev('i1', 'ci', 'ti', T0 - 9 * D, 100), ev('i2', 'ci', 'ti', T0 - 8 * D, 200)),
      events(ev('i3', 'ci', 'ti', T0 - H, 300), ev('i4', 'ci', 'ti', T0, 400)),
      events('i3', 'i4'),
      events('i2', 'i3', 'i4'),
      events(ev('i5', 'ci', 'ti', T0 + H, 500)),
    ],
    expect: {
      i4: { customer_nb_tx_1d: 2, customer_nb_tx_30d: 4, terminal_nb_tx_7d: 2 },
      i5: {
        customer_nb_tx_1d: 3,
        customer_avg_amount_1d: 1200 / 3 / 100,
        customer_nb_tx_30d: 5,
        customer_avg_amount_30d: 1500 / 5 / 100,
        terminal_nb_tx_1d: 0,
        terminal_nb_tx_7d: 2,
        terminal_nb_tx_30d: 2,
      },
    },
  },
  {
    // n3's batch trims cn's history below n3 − 30d − 1d, which cuts n2's 30-day window (n1). n2 does not count n3 (a
    // later offset), so only replayableFromMs keeps that trim from changing n2's row when both are read again.
    name: 'two batches read again after both were recorded (a rebalance before either was committed)',
    steps: [
      events(ev('n1', 'cn', 'tn', T0 - 35 * D, 100)),
      events(ev('n2', 'cn', 'tn', T0 - 10 * D, 200)),
      events(ev('n3', 'cn', 'tn', T0, 400)),
      events('n2', 'n3'),
    ],
    expect: {
      n2: { customer_nb_tx_30d: 2, customer_avg_amount_30d: 300 / 2 / 100 },
      n3: { customer_nb_tx_30d: 2, customer_avg_amount_30d: 600 / 2 / 100 },
    },
  },
  {
    // The same at a terminal: m3's batch would trim tm below m3 − 46d, inside m2's 30-day window (m2 − 37d, m2 − 7d].
    name: 'two batches read again after both were recorded: the terminal windows of the first are kept too',
    steps: [
      events(ev('m1', 'cm1', 'tm', T0 - 45 * D, 100)),
      events(ev('m2', 'cm2', 'tm', T0 - 12 * D, 200)),
      events(ev('m3', 'cm3', 'tm', T0 + 2 * D, 400)),
      events('m2', 'm3'),
    ],
    expect: {
      m2: { terminal_nb_tx_30d: 1, terminal_nb_tx_7d: 0 },
      m3: { terminal_nb_tx_30d: 1, terminal_nb_tx_7d: 0 },
    },
  },
  {
    name: 'an aborted attempt leaves no trace: the retried batch gets the rows of a first attempt',
    steps: [
      events(ev('j1', 'cj', 'tj', T0 - 9 * D, 100)),
      aborted(ev('j2', 'cj', 'tj', T0 - H, 200), ev('j3', 'cj', 'tj', T0 - H / 2, 300)),
      events('j2'),
      events('j3', ev('j4', 'cj', 'tj', T0, 400)),
    ],
    expect: {
      j2: { customer_nb_tx_1d: 1, customer_nb_tx_30d: 2, customer_avg_amount_30d: 300 / 2 / 100 },
      j3: { customer_nb_tx_1d: 2, customer_avg_amount_1d: 500 / 2 / 100 },
      j4: { customer_nb_tx_1d: 3, customer_nb_tx_30d: 4, terminal_nb_tx_7d: 1, terminal_nb_tx_1d: 0 },
    },
  },
  {
    name: 'a transaction later in log order never counts at the terminal, even when it is much older',
    steps: [
      labels(['k-old', true, T0 - D]),
      events(ev('k-base', 'ck0', 'tk', T0 - 9 * D, 100)),
      // k-old is 10 days late and comes after k-now: neither it nor its (already known) fraud label counts for k-now.
      events(ev('k-now', 'ck1', 'tk', T0, 100), ev('k-old', 'ck2', 'tk', T0 - 10 * D, 100)),
      events(ev('k-next', 'ck3', 'tk', T0 + 1, 100)),
    ],
    expect: {
      'k-now': { terminal_nb_tx_7d: 1, terminal_risk_7d: 0, terminal_nb_tx_30d: 1, terminal_risk_30d: 0 },
      'k-next': { terminal_nb_tx_7d: 2, terminal_risk_7d: 1 / 2, terminal_nb_tx_30d: 2, terminal_risk_30d: 1 / 2 },
    },
  },
  {
    name: 'a transaction id repeated at another offset within the horizon is a duplicate: no row, state untouched',
    steps: [
      // A producer retry in the same batch, and one a batch later; then the same id reused four days later.
      events(ev('u1', 'cu', 'tu', T0 - H, 100), ev('u1-retry', 'cu', 'tu', T0 - H, 100, 0, { transactionId: 'u1' })),
      events(ev('u2', 'cu', 'tu', T0, 200)),
      events(ev('u1-late-retry', 'cu', 'tu', T0 - H + 1, 100, 0, { transactionId: 'u1' })),
      events(ev('u3', 'cu', 'tu', T0 + H, 400)),
      events(
        ev('u1-reused', 'cu', 'tu', T0 + 4 * D, 800, 0, { transactionId: 'u1' }),
        ev('u1-reused-retry', 'cu', 'tu', T0 + 4 * D, 800, 0, { transactionId: 'u1' }),
      ),
      events(ev('u-term', 'cu2', 'tu', T0 + 8 * D, 100)),
    ],
    expect: {
      u2: { customer_nb_tx_1d: 2, customer_avg_amount_1d: 300 / 2 / 100 },
      u3: { customer_nb_tx_1d: 3, customer_avg_amount_1d: 700 / 3 / 100 },
      // Beyond the horizon (1 day) a repeated id is a new transaction, and the one its own retries repeat.
      'u1-reused': { customer_nb_tx_7d: 4, customer_avg_amount_7d: 1500 / 4 / 100 },
      // Its terminal window (T0 + 1d − 30d, T0 + 1d] holds u1, u2 and u3 once each: no duplicate reached the terminal.
      'u-term': { terminal_nb_tx_30d: 3 },
    },
    duplicates: { 'u1-retry': 'u1', 'u1-late-retry': 'u1', 'u1-reused-retry': 'u1-reused' },
  },
  {
    name: 'of two records with one id in a batch, the earlier in log order is the first, whatever their customers',
    steps: [
      events(
        ev('v-other', 'cv1', 'tv', T0, 100),
        ev('v1', 'cv2', 'tv', T0, 100, 0, { transactionId: 'v-dup' }),
        ev('v1-retry', 'cv1', 'tv', T0, 100, 0, { transactionId: 'v-dup' }),
      ),
    ],
    expect: { v1: { customer_nb_tx_1d: 1 }, 'v-other': { customer_nb_tx_1d: 1 } },
    duplicates: { 'v1-retry': 'v1' },
  },
  {
    name: 'a new record at a reused position (recreated topic) is not taken for a replay of the old one',
    steps: [
      events(ev('r-old', 'cr', 'tr', T0 - 10 * D, 12_345, 0, { offset: 7 })),
      events(ev('r-new', 'cr', 'tr', T0, 500, 0, { offset: 7 })),
    ],
    expect: {
      'r-new': {
        customer_nb_tx_1d: 1,
        customer_avg_amount_1d: 5,
        customer_nb_tx_30d: 2,
        customer_avg_amount_30d: 12_845 / 2 / 100,
      },
    },
  },
  {
    name: 'trimming: a customer window never reaches below the newest preceding event − 30d − margin, on any backend',
    steps: [
      // Redis trims customers lazily (every 7 days of cutoff progress), memory on every write: after w-d, memory has
      // dropped w-b (T0 − 33d < T0 − 31d) and Redis may still hold it. The late w-late (T0 − 5d) has w-b in its 30-day
      // window; the rule cuts it at T0 − 31d for both.
      events(ev('w-a', 'cw', 'tw1', T0 - 39 * D, 100)),
      events(ev('w-b', 'cw', 'tw2', T0 - 33 * D, 200)),
      events(ev('w-c', 'cw', 'tw3', T0 - 4 * D, 400)),
      events(ev('w-d', 'cw', 'tw4', T0, 800)),
      events(ev('w-late', 'cw', 'tw5', T0 - 5 * D, 1600)),
    ],
    expect: {
      'w-b': { customer_nb_tx_30d: 2 },
      'w-late': { customer_nb_tx_30d: 1, customer_avg_amount_30d: 16, customer_nb_tx_1d: 1 },
    },
  },
  {
    name: 'trimming: a terminal keeps the same entries and fraud reports on any backend (trimmed at every write)',
    steps: [
      events(ev('z-a', 'cz1', 'tz', T0 - 50 * D, 100)),
      events(ev('z-x', 'cz2', 'tz', T0 - 47 * D - H, 100)),
      labels(['z-x', true, T0 - 47 * D]),
      events(ev('z-y', 'cz6', 'tz', T0 - 30 * D, 100)),
      events(ev('z-b', 'cz3', 'tz', T0 - D, 100)),
      // Its cutoff (T0 − 47d: 46 days below the oldest of its batch and the batch before, z-b, which may still be
      // read again) drops z-x and its fraud report; z-late, 12 days late, has z-x and z-y in its 30-day window
      // (T0 − 49d, T0 − 19d]: one transaction left, not fraudulent (with z-x's report kept, the risk were 1).
      events(ev('z-c', 'cz4', 'tz', T0, 100)),
      events(ev('z-late', 'cz5', 'tz', T0 - 12 * D, 100)),
    ],
    expect: {
      'z-b': { terminal_nb_tx_30d: 1, terminal_risk_30d: 0 },
      'z-late': { terminal_nb_tx_30d: 1, terminal_risk_30d: 0 },
    },
  },
];

type Batching = { readonly name: string; readonly size: number | 'step' };
const BATCHINGS: readonly Batching[] = [
  { name: 'one batch per step', size: 'step' },
  { name: 'one record per batch', size: 1 },
  { name: 'two records per batch', size: 2 },
];

/** Runs a case; returns the first row computed for each transaction id (replays are checked against it). */
export async function runCase(
  state: FeatureStatePort,
  testCase: ConformanceCase,
  batchSize: number | 'step',
): Promise<Map<string, FeatureRow>> {
  const engine = createFeatureEngine({ state, labelDelayMs: LABEL_DELAY_MS });
  const defined = new Map<string, PositionedTransaction>();
  const names = new Map<PositionedTransaction, string>();
  const nextOffset = new Map<number, number>();
  const first = new Map<string, FeatureRow>();

  const resolve = (ref: EventRef): PositionedTransaction => {
    if (typeof ref === 'string') {
      const known = defined.get(ref);
      assert.ok(known, `case refers to undefined event ${ref}`);
      return known;
    }
    assert.ok(!defined.has(ref.id), `event ${ref.id} defined twice`);
    const partition = ref.partition ?? 0;
    const offset = ref.offset ?? nextOffset.get(partition) ?? 0;
    nextOffset.set(partition, Math.max(offset + 1, nextOffset.get(partition) ?? 0));
    const tx: PositionedTransaction = {
      transactionId: ref.transactionId ?? ref.id,
      eventTimeMs: ref.t,
      customerId: ref.customer,
      terminalId: ref.terminal,
      amountMinor: ref.amountMinor,
      currency: 'EUR',
      position: { partition, offset },
    };
    defined.set(ref.id, tx);
    names.set(tx, ref.id);
    return tx;
  };

  // As the runner: the batch before may still be committing. (The cases that abort or replay do so right after.)
  const replayable = new ReplayableBatches(1);
  for (const step of testCase.steps) {
    if (step.kind === 'labels') {
      await engine.ingestLabels(step.labels);
      continue;
    }
    const txs = step.events.map(resolve);
    const size = batchSize === 'step' ? Math.max(1, txs.length) : batchSize;
    for (let from = 0; from < txs.length; from += size) {
      const batch = txs.slice(from, from + size);
      const rows = await engine.featurize(batch, [], replayable.floorMs());
      replayable.recorded(batch);
      assert.equal(rows.length, batch.length);
      if (step.kind === 'aborted') {
        continue;
      }
      batch.forEach((tx, i) => {
        const row = rows[i]!;
        const name = names.get(tx)!;
        const earlier = first.get(name);
        if (earlier === undefined) {
          first.set(name, row);
        } else {
          assertRowsIdentical([earlier], [row], `replay of ${name}`);
        }
      });
    }
  }
  for (const [duplicate, original] of Object.entries(testCase.duplicates ?? {})) {
    assert.deepEqual(first.get(duplicate)?.duplicateOf, defined.get(original)?.position, `${duplicate} duplicates`);
  }
  for (const [name, row] of first) {
    if (!(name in (testCase.duplicates ?? {}))) assert.equal(row.duplicateOf, undefined, `${name} is no duplicate`);
  }
  return first;
}

export function assertExpectations(testCase: ConformanceCase, rows: Map<string, FeatureRow>): void {
  const names = FEATURE_SCHEMA.names;
  for (const [id, expected] of Object.entries(testCase.expect)) {
    const row = rows.get(id);
    assert.ok(row, `no row for ${id}`);
    for (const [name, value] of Object.entries(expected)) {
      const at = names.indexOf(name);
      assert.notEqual(at, -1, `unknown feature ${name}`);
      assert.equal(row.values[at], value, `${id}.${name}`);
    }
    assert.deepEqual(row.imputed, [], `${id}: nothing imputed`);
  }
}

/** Bit-level equality (so that -0 vs 0 or a last-ulp difference in a mean fails). */
export function assertRowsIdentical(a: readonly FeatureRow[], b: readonly FeatureRow[], context: string): void {
  assert.equal(a.length, b.length, `${context}: row count`);
  for (let i = 0; i < a.length; i++) {
    const left = Buffer.from(a[i]!.values.buffer, a[i]!.values.byteOffset, a[i]!.values.byteLength);
    const right = Buffer.from(b[i]!.values.buffer, b[i]!.values.byteOffset, b[i]!.values.byteLength);
    if (!left.equals(right)) {
      assert.deepEqual(Array.from(b[i]!.values), Array.from(a[i]!.values), `${context}: row ${i} differs`);
      assert.fail(`${context}: row ${i} differs in its bits`);
    }
    assert.deepEqual(a[i]!.imputed, b[i]!.imputed, `${context}: row ${i} imputed`);
    assert.deepEqual(a[i]!.duplicateOf, b[i]!.duplicateOf, `${context}: row ${i} duplicate`);
  }
}

/** Registers the whole table as node:test cases against one backend. */
export function describeFeatureConformance(backend: string, createState: StateFactory): void {
  describe(`feature conformance: ${backend}`, () => {
    for (const testCase of conformanceCases) {
      it(testCase.name, async () => {
        const results: Map<string, FeatureRow>[] = [];
        for (const batching of BATCHINGS) {
          const harness = await createState();
          try {
            const rows = await runCase(harness.state, testCase, batching.size);
            assertExpectations(testCase, rows);
            results.push(rows);
          } finally {
            await harness.cleanup();
          }
        }
        // Batch boundaries change nothing, bit for bit.
        for (const [id, row] of results[0]!) {
          for (let b = 1; b < results.length; b++) {
            assertRowsIdentical([row], [results[b]!.get(id)!], `${id} under ${BATCHINGS[b]!.name}`);
          }
        }
      });
    }
  });
}
