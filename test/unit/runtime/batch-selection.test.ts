import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  featurisableBefore,
  resolveBound,
  type AlignmentPolicy,
  type PartitionBound,
} from '../../../src/core/batch/event-time-alignment.js';
import { selectBatch, type AlignmentView } from '../../../src/runtime/batch-selection.js';
import { PartitionQueue, type WaitingRecord } from '../../../src/runtime/intake.js';

const INPUT = 'transactions';
const LABELS = 'labels';

interface QueueSpec {
  readonly topic: string;
  readonly partition: number;
  readonly times: readonly (number | undefined)[];
  readonly arrivals: readonly number[];
  readonly endOffset: number | undefined;
}

interface Case {
  readonly queues: readonly QueueSpec[];
  readonly maxRecords: number;
  readonly view: AlignmentView;
}

function queuesOf(specs: readonly QueueSpec[]): Map<string, PartitionQueue> {
  const queues = new Map<string, PartitionQueue>();
  for (const spec of specs) {
    const queue = new PartitionQueue(spec.topic, spec.partition);
    const records: WaitingRecord[] = spec.times.map((timeMs, offset) => ({
      record: { topic: spec.topic, partition: spec.partition, offset: String(offset), key: null, value: null },
      timeMs,
      arrivedAtMs: 0,
      arrival: spec.arrivals[offset] as number,
    }));
    queue.push(records, spec.endOffset, 5);
    queues.set(queue.key, queue);
  }
  return queues;
}

/**
 * The selection rule stated as plainly as possible: before each record, every partition's bound is computed anew
 * from the queues (PartitionQueue.bound) and the horizon from all of them (featurisableBefore).
 */
function selectByDefinition(
  queues: ReadonlyMap<string, PartitionQueue>,
  maxRecords: number,
  view: AlignmentView,
): WaitingRecord[] {
  const taken: WaitingRecord[] = [];
  const all = [...queues.values()];
  for (const queue of all.filter((q) => q.topic === LABELS)) {
    while (taken.length < maxRecords && queue.size > 0) taken.push(queue.shift());
  }
  const inputs = all.filter((q) => q.topic === INPUT);
  const takenFrom = new Map(inputs.map((q) => [q, 0]));
  const boundOf = (key: string, arrival: number): number => {
    const queue = queues.get(key);
    // Labels allow no lateness: a labels partition is written in reported_at order.
    const latenessMs = queue?.topic === LABELS ? 0 : view.policy.latenessMs;
    const own: PartitionBound | undefined = queue?.bound(latenessMs, takenFrom.get(queue) ?? 0);
    return resolveBound(
      own ?? view.published.get(key),
      arrival <= view.endsReadAfter ? view.endOffsets.get(key) : undefined,
    );
  };
  while (taken.length < maxRecords) {
    const heads = inputs
      .map((queue) => ({ queue, head: queue.peek(takenFrom.get(queue)) }))
      .filter((each): each is { queue: PartitionQueue; head: WaitingRecord } => each.head !== undefined);
    if (heads.length === 0) break;
    const time = (head: WaitingRecord) => head.timeMs ?? Number.NEGATIVE_INFINITY;
    const next = heads.reduce((best, each) => (time(each.head) < time(best.head) ? each : best));
    takenFrom.set(next.queue, (takenFrom.get(next.queue) as number) + 1);
    if (Number.isFinite(time(next.head))) {
      const horizon = featurisableBefore(
        view.policy,
        view.inputKeys.map((key) => boundOf(key, next.head.arrival)),
        view.labelKeys.map((key) => boundOf(key, next.head.arrival)),
      );
      if (!(time(next.head) < horizon)) {
        takenFrom.set(next.queue, (takenFrom.get(next.queue) as number) - 1);
        break;
      }
    }
    taken.push(next.head);
  }
  for (const [queue, count] of takenFrom) for (let i = 0; i < count; i++) queue.shift();
  return taken;
}

const time = fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined, freq: 8 });
const queueOf = (topic: string, partition: number) =>
  fc.record({
    topic: fc.constant(topic),
    partition: fc.constant(partition),
    times: fc.array(time, { maxLength: 12 }),
    arrivals: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 12 }),
    endOffset: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
  });
const boundArb: fc.Arbitrary<PartitionBound> = fc.record(
  {
    lowerBoundMs: fc.integer({ min: -5, max: 70 }),
    atEnd: fc.record({ lowerBoundMs: fc.integer({ min: 0, max: 90 }), endOffset: fc.integer({ min: 0, max: 20 }) }),
  },
  { requiredKeys: ['lowerBoundMs'] },
);

/** Four input and two label partitions; the worker holds a random subset, the others have published bounds or none. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    heldInputs: fc.subarray([0, 1, 2, 3]),
    heldLabels: fc.subarray([0, 1]),
    extraHeldInput: fc.boolean(),
    published: fc.array(fc.option(boundArb, { nil: undefined }), { minLength: 6, maxLength: 6 }),
    ends: fc.array(fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }), { minLength: 6, maxLength: 6 }),
    endsReadAfter: fc.integer({ min: -1, max: 3 }),
    policy: fc.record({ labelDelayMs: fc.integer({ min: 0, max: 20 }), latenessMs: fc.integer({ min: 0, max: 10 }) }),
    maxRecords: fc.integer({ min: 1, max: 40 }),
  })
  .chain((shape) =>
    fc
      .tuple(
        fc.tuple(...shape.heldInputs.map((p) => queueOf(INPUT, p))),
        fc.tuple(...shape.heldLabels.map((p) => queueOf(LABELS, p))),
        // A held partition the view does not list (it must not count).
        shape.extraHeldInput ? fc.tuple(queueOf(INPUT, 9)) : fc.constant([] as QueueSpec[]),
      )
      .map(([inputs, labels, extra]) => {
        const keys = [0, 1, 2, 3].map((p) => `${INPUT}:${p}`).concat([0, 1].map((p) => `${LABELS}:${p}`));
        const published = new Map<string, PartitionBound>();
        const endOffsets = new Map<string, number>();
        keys.forEach((key, index) => {
          const bound = shape.published[index];
          if (bound) published.set(key, bound);
          const end = shape.ends[index];
          if (end !== undefined) endOffsets.set(key, end);
        });
        const policy: AlignmentPolicy = shape.policy;
        return {
          queues: [...labels, ...inputs, ...extra],
          maxRecords: shape.maxRecords,
          view: {
            policy,
            inputKeys: keys.slice(0, 4),
            labelKeys: keys.slice(4),
            published,
            endOffsets,
            endsReadAfter: shape.endsReadAfter,
          },
        };
      }),
  );

const positions = (taken: readonly WaitingRecord[]) =>
  taken.map((w) => `${w.record.topic}:${w.record.partition}@${w.record.offset}`);

describe('batch selection', () => {
  it('takes what the alignment rule, applied afresh before every record, takes, and leaves the rest waiting', () => {
    fc.assert(
      fc.property(caseArb, ({ queues, maxRecords, view }) => {
        const ours = queuesOf(queues);
        const reference = queuesOf(queues);
        assert.deepEqual(
          positions(selectBatch(ours, LABELS, maxRecords, view)),
          positions(selectByDefinition(reference, maxRecords, view)),
        );
        for (const [key, queue] of ours) assert.equal(queue.size, reference.get(key)?.size, `${key} left waiting`);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes labels first, then the lowest event time across partitions, each partition in offset order', () => {
    const queues = queuesOf([
      { topic: INPUT, partition: 0, times: [5, 1, 9], arrivals: [0, 0, 0], endOffset: undefined },
      { topic: INPUT, partition: 1, times: [3, 4], arrivals: [0, 0], endOffset: undefined },
      { topic: LABELS, partition: 0, times: [2], arrivals: [0], endOffset: undefined },
    ]);
    assert.deepEqual(positions(selectBatch(queues, LABELS, 10, undefined)), [
      'labels:0@0',
      'transactions:1@0',
      'transactions:1@1',
      'transactions:0@0',
      'transactions:0@1',
      'transactions:0@2',
    ]);
  });

  it('stops at the first record beyond the horizon: an unknown partition holds everything back', () => {
    const queues = queuesOf([{ topic: INPUT, partition: 0, times: [1, 2], arrivals: [0, 0], endOffset: undefined }]);
    const view: AlignmentView = {
      policy: { labelDelayMs: 10, latenessMs: 0 },
      inputKeys: [`${INPUT}:0`, `${INPUT}:1`],
      labelKeys: [],
      published: new Map(),
      endOffsets: new Map(),
      endsReadAfter: -1,
    };
    assert.deepEqual(selectBatch(queues, LABELS, 10, view), []);
    assert.equal(queues.get(`${INPUT}:0`)?.size, 2);
  });
});
