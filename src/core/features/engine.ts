import { MINOR_UNITS_PER_MAJOR, type LabelEvent, type PositionedTransaction } from '../contract/events.js';
import { utcHour, utcWeekday } from './calendar.js';
import { accumulateCustomerWindows } from './customer-windows.js';
import {
  DEFAULT_LATENESS_MARGIN_MS,
  DUPLICATE_HORIZON_MS,
  defineFeatureSet,
  featureSchemaOf,
  retentionOf,
} from './definitions.js';
import { FeatureInputError, OverlappingFeaturizeError } from './errors.js';
import { compilePlan, type FeaturePlan } from './plan.js';
import {
  CUSTOMER_FIELD_AMOUNT_MINOR,
  CUSTOMER_FIELD_EVENT_TIME,
  CUSTOMER_FIELD_OFFSET,
  CUSTOMER_FIELD_PARTITION,
  CUSTOMER_RECORD_WIDTH,
  type CustomerAppend,
  type DuplicateRecord,
  type FeatureStatePort,
  type FraudReportWrite,
  type PartitionProgress,
  type StateRead,
  type StateSnapshot,
  type StateWrite,
  type TerminalAppend,
} from './state-port.js';
import { computeTerminalWindows } from './terminal-windows.js';
import type { ConsumedRange, FeatureEngine, FeatureRow } from './types.js';

export interface FeatureEngineOptions {
  readonly state: FeatureStatePort;
  /** The topology's label delay d: terminal windows end at t − d. Part of the schema version. */
  readonly labelDelayMs: number;
  /**
   * How late (in event time, behind the newest event of its customer or terminal) an event may be and still see
   * complete windows; older state is trimmed. Default one day. Not part of the schema version: it changes no value
   * of an event that is on time.
   */
  readonly latenessMarginMs?: number;
}

const NO_IMPUTATION: readonly string[] = Object.freeze([]);
const NO_VALUES = new Float64Array(0);

/**
 * How far back in event time, behind an entity's newest event, the engine may still read state: the furthest any
 * trim cutoff of buildWrite keeps (terminals: their reach, the lateness margin, and the d + margin another worker may
 * trail by under event-time alignment). A backend whose entries expire by wall clock (Redis TTLs) sizes them from it,
 * so the TTL follows the label delay instead of a fixed number of days.
 */
export function featureStateHorizonMs(labelDelayMs: number, latenessMarginMs = DEFAULT_LATENESS_MARGIN_MS): number {
  const plan = compilePlan(defineFeatureSet({ labelDelayMs }));
  return Math.max(
    plan.customerReachMs + latenessMarginMs,
    plan.terminalReachMs + latenessMarginMs + (labelDelayMs + latenessMarginMs),
  );
}

/**
 * The feature engine: the definitions of definitions.ts run against a state port. Online it gets the Redis state,
 * in the backfill the memory state; the code path is the same.
 *
 * Per featurize(): one recordBatch (the batch's records go into the state first, so that replays find the same
 * state as the first attempt), one readBatch, then pure window arithmetic.
 */
export function createFeatureEngine(options: FeatureEngineOptions): FeatureEngine {
  const definitions = defineFeatureSet({ labelDelayMs: options.labelDelayMs });
  const schema = featureSchemaOf(definitions);
  const plan = compilePlan(definitions);
  const latenessMarginMs = options.latenessMarginMs ?? DEFAULT_LATENESS_MARGIN_MS;
  if (!(latenessMarginMs >= 0) || !Number.isFinite(latenessMarginMs)) {
    throw new RangeError(`latenessMarginMs must be a finite number >= 0, got ${String(latenessMarginMs)}`);
  }
  const retentionMs = retentionOf(definitions, latenessMarginMs);
  const { state } = options;
  let inFlight = false;
  /** Per input partition, the offset up to which this engine's own writes made the state absorb the input. */
  const absorbed = new Map<number, number>();

  async function featurize(
    batch: readonly PositionedTransaction[],
    consumed: readonly ConsumedRange[] = [],
    replayableFromMs = Number.POSITIVE_INFINITY,
  ): Promise<FeatureRow[]> {
    if (batch.length === 0 && consumed.length === 0) {
      return [];
    }
    if (inFlight) {
      throw new OverlappingFeaturizeError();
    }
    if (!Number.isFinite(replayableFromMs) && replayableFromMs !== Number.POSITIVE_INFINITY) {
      throw new RangeError(`replayableFromMs must be an event time (epoch ms) or Infinity, got ${replayableFromMs}`);
    }
    inFlight = true;
    try {
      validateBatch(batch);
      const groups = groupBatch(batch);
      const progress = consumed.map((range): PartitionProgress => {
        const own = absorbed.get(range.partition);
        // A replay starts below what this engine wrote: the state then holds at least its start.
        return { ...range, expected: own === undefined ? -1 : Math.min(own, range.from) };
      });
      const write = buildWrite(batch, groups, plan, {
        latenessMarginMs,
        labelDelayMs: options.labelDelayMs,
        replayableFromMs,
        progress,
      });
      const { duplicates } = await state.recordBatch(write.write);
      for (const range of consumed) {
        absorbed.set(range.partition, Math.max(absorbed.get(range.partition) ?? 0, range.to));
      }
      if (batch.length === 0) {
        return [];
      }
      if (duplicates.length > 0) {
        return await featurizeWithoutDuplicates(batch, duplicates, write.recordIndex);
      }
      const read = buildRead(batch, groups, plan);
      const snapshot = await state.readBatch(read);
      return computeRows(batch, groups, plan, read, snapshot, schema.names, latenessMarginMs);
    } finally {
      inFlight = false;
    }
  }

  /** The batch less its duplicates (which the state did not record), computed as if they had never come. */
  async function featurizeWithoutDuplicates(
    batch: readonly PositionedTransaction[],
    duplicates: readonly DuplicateRecord[],
    recordIndex: Int32Array,
  ): Promise<FeatureRow[]> {
    const firstOf = new Map<number, DuplicateRecord['first']>();
    for (const duplicate of duplicates) firstOf.set(recordIndex[duplicate.record]!, duplicate.first);
    const kept: PositionedTransaction[] = [];
    for (let index = 0; index < batch.length; index++) if (!firstOf.has(index)) kept.push(batch[index]!);
    let keptRows: FeatureRow[] = [];
    if (kept.length > 0) {
      const groups = groupBatch(kept);
      const read = buildRead(kept, groups, plan);
      const snapshot = await state.readBatch(read);
      keptRows = computeRows(kept, groups, plan, read, snapshot, schema.names, latenessMarginMs);
    }
    const rows: FeatureRow[] = new Array<FeatureRow>(batch.length);
    let next = 0;
    for (let index = 0; index < batch.length; index++) {
      const first = firstOf.get(index);
      rows[index] =
        first === undefined ? keptRows[next++]! : { values: NO_VALUES, imputed: NO_IMPUTATION, duplicateOf: first };
    }
    return rows;
  }

  async function ingestLabels(labels: readonly LabelEvent[]): Promise<void> {
    const reports: FraudReportWrite[] = [];
    for (const label of labels) {
      // A non-fraud label changes no feature: "known fraudulent by t" only asks whether a fraud label exists.
      if (!label.isFraud) {
        continue;
      }
      if (!Number.isFinite(label.reportedAtMs)) {
        throw new FeatureInputError(label.transactionId, 'reportedAtMs', 'label reportedAtMs must be finite');
      }
      reports.push({ transactionId: label.transactionId, reportedAtMs: label.reportedAtMs });
    }
    if (reports.length > 0) {
      await state.recordFraudReports(reports);
    }
  }

  function expectAbsorbed(partition: number, offset: number): void {
    absorbed.set(partition, Math.max(absorbed.get(partition) ?? 0, offset));
  }

  return { schema, retentionMs, featurize, ingestLabels, expectAbsorbed };
}

function validateBatch(batch: readonly PositionedTransaction[]): void {
  for (const tx of batch) {
    if (!Number.isFinite(tx.eventTimeMs)) {
      throw new FeatureInputError(tx.transactionId, 'eventTimeMs', 'event time must be a finite number');
    }
    // Integer minor units keep sums exact in any order: that is what makes means bit-identical across backends.
    if (!Number.isSafeInteger(tx.amountMinor)) {
      throw new FeatureInputError(tx.transactionId, 'amountMinor', 'amount must be a safe integer of minor units');
    }
    const { partition, offset } = tx.position;
    if (!Number.isSafeInteger(partition) || partition < 0 || !Number.isSafeInteger(offset) || offset < 0) {
      throw new FeatureInputError(tx.transactionId, 'position', 'position must be non-negative safe integers');
    }
  }
}

interface Groups {
  readonly ids: string[];
  readonly members: number[][];
}

interface BatchGroups {
  readonly customers: Groups;
  readonly terminals: Groups;
  /**
   * 1 for the first record of each (terminal, event time, transaction id) in the batch: a terminal stores a
   * transaction once per that identity, so a repeat within the batch is not stored again.
   */
  readonly firstOccurrence: Uint8Array;
}

function groupBatch(batch: readonly PositionedTransaction[]): BatchGroups {
  const customers: Groups = { ids: [], members: [] };
  const terminals: Groups = { ids: [], members: [] };
  const customerAt = new Map<string, number>();
  const terminalAt = new Map<string, number>();
  const seenIds = new Set<string>();
  const firstOccurrence = new Uint8Array(batch.length);
  for (let index = 0; index < batch.length; index++) {
    const tx = batch[index]!;
    addMember(customers, customerAt, tx.customerId, index);
    addMember(terminals, terminalAt, tx.terminalId, index);
    // One set operation in the common case (a new id); a repeated id (rare) looks for the same identity before it.
    const known = seenIds.size;
    seenIds.add(tx.transactionId);
    firstOccurrence[index] = seenIds.size !== known || !repeatsEarlier(batch, index) ? 1 : 0;
  }
  return { customers, terminals, firstOccurrence };
}

/** Whether an earlier record of the batch has the same transaction id, terminal and event time. */
function repeatsEarlier(batch: readonly PositionedTransaction[], index: number): boolean {
  const tx = batch[index]!;
  for (let j = 0; j < index; j++) {
    const other = batch[j]!;
    if (
      other.transactionId === tx.transactionId &&
      other.terminalId === tx.terminalId &&
      other.eventTimeMs === tx.eventTimeMs
    ) {
      return true;
    }
  }
  return false;
}

function addMember(groups: Groups, at: Map<string, number>, id: string, index: number): void {
  const group = at.get(id);
  if (group === undefined) {
    at.set(id, groups.ids.length);
    groups.ids.push(id);
    groups.members.push([index]);
  } else {
    groups.members[group]!.push(index);
  }
}

interface WriteContext {
  readonly latenessMarginMs: number;
  readonly labelDelayMs: number;
  /** featurize()'s replayableFromMs: trims stay below the windows of records that may be featurised again. */
  readonly replayableFromMs: number;
  readonly progress: readonly PartitionProgress[];
}

function buildWrite(
  batch: readonly PositionedTransaction[],
  groups: BatchGroups,
  plan: FeaturePlan,
  context: WriteContext,
): { write: StateWrite; recordIndex: Int32Array } {
  const { latenessMarginMs, labelDelayMs, replayableFromMs, progress } = context;
  // One array for the whole batch, each customer's records contiguous (in log order) within it.
  const records = new Float64Array(batch.length * CUSTOMER_RECORD_WIDTH);
  const transactionIds: string[] = new Array<string>(batch.length);
  /** recordIndex[k]: the batch index of record k; recordAt[batch index]: its record. */
  const recordIndex = new Int32Array(batch.length);
  const recordAt = new Int32Array(batch.length);
  const customers: CustomerAppend[] = new Array<CustomerAppend>(groups.customers.ids.length);
  let next = 0;
  for (let g = 0; g < customers.length; g++) {
    const members = groups.customers.members[g]!;
    const from = next;
    let oldest = replayableFromMs;
    for (const index of members) {
      const tx = batch[index]!;
      const at = next * CUSTOMER_RECORD_WIDTH;
      records[at + CUSTOMER_FIELD_EVENT_TIME] = tx.eventTimeMs;
      records[at + CUSTOMER_FIELD_AMOUNT_MINOR] = tx.amountMinor;
      records[at + CUSTOMER_FIELD_PARTITION] = tx.position.partition;
      records[at + CUSTOMER_FIELD_OFFSET] = tx.position.offset;
      transactionIds[next] = tx.transactionId;
      recordIndex[next] = index;
      recordAt[index] = next;
      next++;
      if (tx.eventTimeMs < oldest) oldest = tx.eventTimeMs;
    }
    // From the batch's oldest record: every record of this batch is featurised after the write, and a batch may
    // span more event time than the margin. Later batches' records are newer, or late by at most the margin (or the
    // engine's bound covers them). Records of earlier batches that may be featurised again (replayableFromMs) are
    // neither: a replay does not count the later records that raised the cutoff, so the cutoff stays below them too.
    customers[g] = {
      customerId: groups.customers.ids[g]!,
      records,
      from,
      to: next,
      trimBeforeMs: oldest - plan.customerReachMs - latenessMarginMs,
    };
  }
  const terminals: TerminalAppend[] = new Array<TerminalAppend>(groups.terminals.ids.length);
  for (let g = 0; g < terminals.length; g++) {
    const terminalRecords: number[] = [];
    let oldest = replayableFromMs;
    for (const index of groups.terminals.members[g]!) {
      const tx = batch[index]!;
      if (groups.firstOccurrence[index] === 1) terminalRecords.push(recordAt[index]!);
      if (tx.eventTimeMs < oldest) oldest = tx.eventTimeMs;
    }
    terminals[g] = {
      terminalId: groups.terminals.ids[g]!,
      records: terminalRecords,
      // Terminals are shared across partitions, so across workers: event-time alignment lets another worker trail
      // this one by up to the label delay (plus lateness), and its records still need what this one could trim.
      // Below replayableFromMs too, as for customers: a terminal has no bound of its own, its trims are what a very
      // late record reads (conformance: "trimming: a terminal keeps ..."), so a replay must find the same trims.
      trimBeforeMs: oldest - plan.terminalReachMs - latenessMarginMs - (labelDelayMs + latenessMarginMs),
    };
  }
  return {
    write: {
      records,
      transactionIds,
      logOrder: recordAt,
      duplicateHorizonMs: DUPLICATE_HORIZON_MS,
      customers,
      terminals,
      progress,
    },
    recordIndex,
  };
}

function buildRead(batch: readonly PositionedTransaction[], groups: BatchGroups, plan: FeaturePlan): StateRead {
  const { lengthMs, delayMs } = plan.terminalWindows;
  const windowCount = lengthMs.length;
  const terminalCount = groups.terminals.ids.length;
  // Count ranges grouped by terminal: member j of group g, window k is range rangeStart[g] + j * K + k.
  const rangeStart = new Int32Array(terminalCount + 1);
  const countFrom = new Float64Array(batch.length * windowCount);
  const countTo = new Float64Array(batch.length * windowCount);
  // One fraud range per terminal covering every window of its batch records; the core filters per record.
  const fraudStart = new Int32Array(terminalCount + 1);
  const fraudFrom = new Float64Array(terminalCount);
  const fraudTo = new Float64Array(terminalCount);
  let q = 0;
  for (let g = 0; g < terminalCount; g++) {
    rangeStart[g] = q;
    fraudStart[g] = g;
    let oldest = Infinity;
    let newest = -Infinity;
    for (const index of groups.terminals.members[g]!) {
      const t = batch[index]!.eventTimeMs;
      if (t < oldest) oldest = t;
      if (t > newest) newest = t;
      for (let k = 0; k < windowCount; k++) {
        countTo[q] = t - delayMs[k]!;
        countFrom[q] = countTo[q]! - lengthMs[k]!;
        q++;
      }
    }
    fraudFrom[g] = oldest - plan.terminalReachMs;
    fraudTo[g] = newest - plan.terminalShortestDelayMs;
  }
  rangeStart[terminalCount] = q;
  fraudStart[terminalCount] = terminalCount;
  return {
    customerIds: groups.customers.ids,
    terminalCounts: {
      terminalIds: groups.terminals.ids,
      rangeStart,
      fromExclusiveMs: countFrom,
      toInclusiveMs: countTo,
    },
    terminalFraud: {
      terminalIds: groups.terminals.ids,
      rangeStart: fraudStart,
      fromExclusiveMs: fraudFrom,
      toInclusiveMs: fraudTo,
    },
  };
}

function computeRows(
  batch: readonly PositionedTransaction[],
  groups: BatchGroups,
  plan: FeaturePlan,
  read: StateRead,
  snapshot: StateSnapshot,
  names: readonly string[],
  latenessMarginMs: number,
): FeatureRow[] {
  const terminalRangeStart = read.terminalCounts.rangeStart;
  if (snapshot.terminalCounts.length !== read.terminalCounts.fromExclusiveMs.length) {
    throw new Error('feature state answered a different number of terminal counts than asked');
  }
  const n = batch.length;
  const customerWindowCount = plan.customerWindowsMs.length;
  const terminalWindowCount = plan.terminalWindows.lengthMs.length;

  const customer = new Float64Array(n * customerWindowCount * 2);
  for (let g = 0; g < groups.customers.ids.length; g++) {
    const history = snapshot.customers[g];
    if (history === undefined) {
      throw new Error('feature state answered fewer customer histories than asked');
    }
    accumulateCustomerWindows(
      history,
      batch,
      groups.customers.members[g]!,
      plan.customerWindowsMs,
      latenessMarginMs,
      customer,
    );
  }

  const terminalCounts = new Float64Array(n * terminalWindowCount);
  const terminalFraud = new Float64Array(n * terminalWindowCount);
  for (let g = 0; g < groups.terminals.ids.length; g++) {
    const fraud = snapshot.terminalFraud[g];
    if (fraud === undefined) {
      throw new Error('feature state answered fewer terminal fraud ranges than asked');
    }
    computeTerminalWindows(
      batch,
      groups.terminals.members[g]!,
      groups.firstOccurrence,
      plan.terminalWindows,
      snapshot.terminalCounts,
      terminalRangeStart[g]!,
      fraud,
      terminalCounts,
      terminalFraud,
    );
  }

  const width = plan.slots.length;
  const values = new Float64Array(n * width);
  const rows: FeatureRow[] = new Array<FeatureRow>(n);
  for (let index = 0; index < n; index++) {
    const tx = batch[index]!;
    const base = index * width;
    let imputed: string[] | null = null;
    for (let f = 0; f < width; f++) {
      let value = slotValue(
        plan.slots[f]!,
        tx,
        index,
        customer,
        customerWindowCount,
        terminalCounts,
        terminalFraud,
        terminalWindowCount,
      );
      if (!Number.isFinite(value)) {
        value = plan.defaults[f]!;
        (imputed ??= []).push(names[f]!);
      }
      values[base + f] = value;
    }
    rows[index] = { values: values.subarray(base, base + width), imputed: imputed ?? NO_IMPUTATION };
  }
  return rows;
}

function slotValue(
  slot: FeaturePlan['slots'][number],
  tx: PositionedTransaction,
  index: number,
  customer: Float64Array,
  customerWindowCount: number,
  terminalCounts: Float64Array,
  terminalFraud: Float64Array,
  terminalWindowCount: number,
): number {
  switch (slot.kind) {
    case 'amount':
      return tx.amountMinor / MINOR_UNITS_PER_MAJOR;
    case 'weekday':
      return slot.weekdays.includes(utcWeekday(tx.eventTimeMs)) ? 1 : 0;
    case 'hourAtMost':
      return utcHour(tx.eventTimeMs) <= slot.hour ? 1 : 0;
    case 'customerCount':
      return customer[(index * customerWindowCount + slot.window) * 2]!;
    case 'customerMean': {
      const at = (index * customerWindowCount + slot.window) * 2;
      // Exactly this expression in both runtimes: sumMinor / count / 100 (not sumMinor / (count * 100)).
      return customer[at + 1]! / customer[at]! / MINOR_UNITS_PER_MAJOR;
    }
    case 'terminalCount':
      return terminalCounts[index * terminalWindowCount + slot.window]!;
    case 'terminalFraudShare': {
      const at = index * terminalWindowCount + slot.window;
      const count = terminalCounts[at]!;
      return count > 0 ? terminalFraud[at]! / count : 0;
    }
  }
}
