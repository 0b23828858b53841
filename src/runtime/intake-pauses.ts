import type { Consumer } from 'kafkajs';
import { callUnlessRestarting } from '../adapters/kafka/pause-calls.js';
import { resolveBound, type AlignmentPolicy, type PartitionBound } from '../core/batch/event-time-alignment.js';
import type { PartitionQueue } from './intake.js';

/** A bound with its read-to-its-end claim taken as holding: the most any owner may let through for the partition. */
const mostLetThrough = (bound: PartitionBound | undefined): number => resolveBound(bound, bound?.atEnd?.endOffset);

/**
 * The input partitions whose fetching may stop while event-time alignment holds every waiting record back: those
 * holding at least `capacity` records whose reading further could not let anything through. While alignment holds
 * everything, the handlers let the fetch loop go on (it must fetch what unblocks the records), and without this the
 * fetch loop would read the whole backlog of every partition ahead into memory.
 *
 * Reading a partition further can only raise its own bound, and only up to the least time it holds (its waiting
 * records stay until taken). So a partition is never paused while its bound, so raised, would raise the horizon
 * (core/batch/event-time-alignment): while its unfetched part (latest time seen less the lateness) is below what it
 * holds and no higher than every other bound the horizon is made of, the one everyone may be waiting for (ties count:
 * two owners of equal bounds must not each pause theirs for the other). Other partitions' bounds are taken at the most
 * they may let through, so a doubt keeps a partition read. Labels are never paused: they never wait in the intake. A
 * paused partition's own bound stays what it holds, published as before.
 */
export function partitionsToPause(options: {
  readonly queues: ReadonlyMap<string, PartitionQueue>;
  readonly labelsTopic: string;
  readonly capacity: number;
  readonly policy: AlignmentPolicy;
  readonly inputKeys: readonly string[];
  readonly labelKeys: readonly string[];
  /** Bounds published by the owners of partitions this worker does not hold. */
  readonly published: ReadonlyMap<string, PartitionBound>;
}): Set<string> {
  const { queues, labelsTopic, policy, published } = options;
  const boundOf = (key: string): number => {
    const queue = queues.get(key);
    if (!queue) return mostLetThrough(published.get(key));
    return mostLetThrough(queue.bound(queue.topic === labelsTopic ? 0 : policy.latenessMs));
  };
  let leastLabel = Number.POSITIVE_INFINITY;
  for (const key of options.labelKeys) leastLabel = Math.min(leastLabel, boundOf(key));
  const inputBounds = options.inputKeys.map((key) => [key, boundOf(key)] as const);
  const pause = new Set<string>();
  for (const queue of queues.values()) {
    if (queue.topic === labelsTopic || queue.size < options.capacity || queue.maxSeenMs === undefined) continue;
    const unfetched = queue.maxSeenMs - policy.latenessMs;
    const held = queue.minTimeFrom(0) ?? Number.POSITIVE_INFINITY;
    let leastOther = Number.POSITIVE_INFINITY;
    for (const [key, bound] of inputBounds) if (key !== queue.key) leastOther = Math.min(leastOther, bound);
    const waitedFor = unfetched < held && unfetched <= leastOther && unfetched + policy.labelDelayMs <= leastLabel;
    if (!waitedFor) pause.add(queue.key);
  }
  return pause;
}

/**
 * The partitions this runner paused (kafkajs's consumer.pause). kafkajs keeps a pause across a rejoin and a seek, so
 * whatever drops the intake resumes them all: a partition's next reading must never depend on a queue that is gone.
 */
export class IntakePauses {
  private readonly paused = new Map<string, { topic: string; partitions: number[] }>();

  constructor(private readonly consumer: Pick<Consumer, 'pause' | 'resume'>) {}

  /**
   * Pauses the partitions `wanted` lists, when `mayPause` (alignment holds everything back; otherwise the handlers'
   * backpressure bounds the intake), and resumes each paused one it no longer lists (taken from, or now waited for).
   */
  apply(wanted: ReadonlySet<string>, mayPause: boolean): void {
    for (const [key, partition] of this.paused) {
      if (wanted.has(key)) continue;
      this.paused.delete(key);
      callUnlessRestarting(() => this.consumer.resume([partition]));
    }
    if (!mayPause) return;
    for (const key of wanted) {
      if (this.paused.has(key)) continue;
      const at = key.lastIndexOf(':');
      const partition = { topic: key.slice(0, at), partitions: [Number(key.slice(at + 1))] };
      if (callUnlessRestarting(() => this.consumer.pause([partition]))) this.paused.set(key, partition);
    }
  }

  resumeAll(): void {
    if (this.paused.size === 0) return;
    const partitions = [...this.paused.values()];
    this.paused.clear();
    callUnlessRestarting(() => this.consumer.resume(partitions));
  }
}
