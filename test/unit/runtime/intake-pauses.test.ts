import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Consumer } from 'kafkajs';
import type { AlignmentPolicy, PartitionBound } from '../../../src/core/batch/event-time-alignment.js';
import { PartitionQueue } from '../../../src/runtime/intake.js';
import { IntakePauses, partitionsToPause } from '../../../src/runtime/intake-pauses.js';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);

function queueOf(topic: string, partition: number, times: number[], latenessMs = DAY_MS): PartitionQueue {
  const queue = new PartitionQueue(topic, partition);
  queue.push(
    times.map((timeMs, i) => ({
      record: { topic, partition, offset: String(i), key: null, value: Buffer.alloc(0) },
      timeMs,
      arrivedAtMs: 0,
      arrival: 1,
    })),
    undefined,
    latenessMs,
  );
  return queue;
}

function toPause(
  queues: PartitionQueue[],
  published: [string, PartitionBound][],
  policy: AlignmentPolicy = { labelDelayMs: 7 * DAY_MS, latenessMs: DAY_MS },
): string[] {
  return [
    ...partitionsToPause({
      queues: new Map(queues.map((queue) => [queue.key, queue])),
      labelsTopic: 'labels',
      capacity: 3,
      policy,
      inputKeys: ['input:0', 'input:1'],
      labelKeys: ['labels:0'],
      published: new Map(published),
    }),
  ].sort();
}

const ahead = [T0, T0 + 1_000, T0 + 2_000];
const labelsAtEnd: [string, PartitionBound] = [
  'labels:0',
  { lowerBoundMs: T0, atEnd: { lowerBoundMs: Infinity, endOffset: 4 } },
];

describe('partitionsToPause', () => {
  it('pauses a partition holding its share that waits for another partition, never one below its share', () => {
    const behind: [string, PartitionBound] = ['input:1', { lowerBoundMs: T0 - 30 * DAY_MS }];
    assert.deepEqual(toPause([queueOf('input', 0, ahead)], [behind, labelsAtEnd]), ['input:0']);
    assert.deepEqual(toPause([queueOf('input', 0, ahead.slice(0, 2))], [behind, labelsAtEnd]), []);
  });

  it('pauses a partition waiting for labels, never a labels partition', () => {
    const labelsBehind: [string, PartitionBound] = ['labels:0', { lowerBoundMs: T0 - 30 * DAY_MS }];
    const input1: [string, PartitionBound] = ['input:1', { lowerBoundMs: T0 + 30 * DAY_MS }];
    assert.deepEqual(toPause([queueOf('input', 0, ahead)], [input1, labelsBehind]), ['input:0']);
    assert.deepEqual(toPause([queueOf('labels', 0, ahead, 0)], [input1, ['input:0', { lowerBoundMs: 0 }]]), []);
  });

  it('never pauses the partition everyone waits for: reading it further raises the horizon (label delay = lateness)', () => {
    // Label delay equal to the lateness: input:0's records at T0 wait for its own unfetched part (T0 − 1 day + 1 day).
    const policy = { labelDelayMs: DAY_MS, latenessMs: DAY_MS };
    const input1: [string, PartitionBound] = ['input:1', { lowerBoundMs: T0 + DAY_MS }];
    const same = [T0, T0, T0];
    assert.deepEqual(toPause([queueOf('input', 0, same)], [input1, labelsAtEnd], policy), []);
    // A tie with another partition's bound counts as waited for: its owner must not pause its own for this one.
    const tied: [string, PartitionBound] = ['input:1', { lowerBoundMs: T0 - DAY_MS }];
    assert.deepEqual(toPause([queueOf('input', 0, same)], [tied, labelsAtEnd], policy), []);
    // Another partition's bound lower still: that partition is the one waited for.
    const lower: [string, PartitionBound] = ['input:1', { lowerBoundMs: T0 - 2 * DAY_MS }];
    assert.deepEqual(toPause([queueOf('input', 0, same)], [lower, labelsAtEnd], policy), ['input:0']);
    // A partition nobody has said anything about holds everyone back: reading input:0 further cannot help.
    assert.deepEqual(toPause([queueOf('input', 0, same)], [labelsAtEnd], policy), ['input:0']);
  });
});

describe('IntakePauses', () => {
  it('pauses only when allowed, resumes what is no longer wanted, and resumes everything on reset', () => {
    const calls: string[] = [];
    const consumer = {
      pause: (tps: { topic: string; partitions: number[] }[]) => calls.push(`pause ${JSON.stringify(tps)}`),
      resume: (tps: { topic: string; partitions: number[] }[]) => calls.push(`resume ${JSON.stringify(tps)}`),
    } as unknown as Pick<Consumer, 'pause' | 'resume'>;
    const pauses = new IntakePauses(consumer);
    pauses.apply(new Set(['in.put:0']), false);
    assert.deepEqual(calls, [], 'not while records are taken');
    pauses.apply(new Set(['in.put:0', 'in.put:3']), true);
    pauses.apply(new Set(['in.put:0', 'in.put:3']), true);
    pauses.apply(new Set(['in.put:3']), false);
    pauses.resumeAll();
    pauses.resumeAll();
    assert.deepEqual(calls, [
      'pause [{"topic":"in.put","partitions":[0]}]',
      'pause [{"topic":"in.put","partitions":[3]}]',
      'resume [{"topic":"in.put","partitions":[0]}]',
      'resume [{"topic":"in.put","partitions":[3]}]',
    ]);
  });

  it('neither throws nor remembers a pause or resume kafkajs refuses while it restarts its consumer', () => {
    let restarting = true;
    const calls: string[] = [];
    const consumer = {
      pause: (tps: { topic: string; partitions: number[] }[]) => {
        if (restarting) throw new Error('Consumer group was not initialized, consumer#run must be called first');
        calls.push(`pause ${JSON.stringify(tps)}`);
      },
      resume: (tps: { topic: string; partitions: number[] }[]) => {
        if (restarting) throw new Error('Consumer group was not initialized, consumer#run must be called first');
        calls.push(`resume ${JSON.stringify(tps)}`);
      },
    } as unknown as Pick<Consumer, 'pause' | 'resume'>;
    const pauses = new IntakePauses(consumer);
    pauses.apply(new Set(['input:0']), true);
    restarting = false;
    // Not remembered as paused: asked again, it is paused now.
    pauses.apply(new Set(['input:0']), true);
    restarting = true;
    pauses.resumeAll();
    restarting = false;
    pauses.resumeAll(); // the refused resume is not retried: the restart began with nothing paused
    assert.deepEqual(calls, ['pause [{"topic":"input","partitions":[0]}]']);
  });
});
