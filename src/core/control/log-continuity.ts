import { createHash } from 'node:crypto';
import type { ControlView } from './fold.js';
import type { ControlRecord } from './serving-state.js';

/**
 * Tells whether a record read from the control topic belongs to the log the reader has been following, or to a new
 * log under the same name (the topic deleted and created again). Versions start again at 1 in a new log, and a reader
 * keeps the highest version it applied: without this it would ignore every change written to the new log, the kill
 * switch included, for as long as it runs.
 *
 * Within one log an offset holds one record for ever, and compaction only removes records: a record at an offset
 * below the highest one read is one the reader has read there before, byte for byte (kafkajs reads the log again from
 * its beginning whenever it restarts the consumer). A record at such an offset that the reader never read, or that
 * differs from what it read there, can only come from another log.
 *
 * A new log that has grown back to exactly the offset the reader had reached when the reader resumes (one record read,
 * the topic deleted, the kill switch written as the new log's first record) shows neither sign: the reader waits at
 * that offset for records that come later, if ever. A long-running reader therefore reads its highest offset again
 * now and then (CONTROL_LOG_RECHECK_MS in the Kafka adapter), so that such a log is told by the record it finds there.
 */
export class ControlLogContinuity {
  /** Offset → digest of the record read there (a tombstone has one too): a few bytes per control change. */
  private readonly read = new Map<bigint, string>();
  private highest = -1n;

  /** The highest offset read so far (-1 before the first record): a record at or below it is a reread. */
  highestOffsetRead(): bigint {
    return this.highest;
  }

  /** Null when the record belongs to the log followed so far (first read or reread), else what shows it does not. */
  check(offset: bigint, value: string | null): string | null {
    const digest = digestOf(value);
    if (offset > this.highest) {
      this.highest = offset;
      this.read.set(offset, digest);
      return null;
    }
    const before = this.read.get(offset);
    if (before === digest) return null;
    return before === undefined
      ? `offset ${offset} holds a record this reader never read there, below offset ${this.highest} it has read`
      : `offset ${offset} holds another record than the one this reader read there`;
  }
}

function digestOf(value: string | null): string {
  return value === null ? 'tombstone' : createHash('sha256').update(value).digest('base64');
}

/**
 * The second sign of a new log, for what offsets cannot tell: a new log that grew past the offset the reader had
 * reached before the reader came back to it (its restarts are seconds apart while the topic is missing), so that it
 * resumes there and meets only offsets it never read. Each record names the log it was written to (`log`); a record
 * the reader would apply (a higher version) that names another log than the record it holds is of a new log. Lower
 * versions are not judged: a writer that lost the race for a version may have drawn a log id of its own for a new
 * log, and its record changes nothing. Records without a log id (written before the field) are not judged either.
 */
export function otherLogEvidence(view: ControlView, record: ControlRecord, topology: string): string | null {
  const followed = view.record?.log;
  if (followed === undefined || record.log === undefined) return null;
  if (record.topology !== topology || record.version <= view.version || record.log === followed) return null;
  return `version ${record.version} was written to log ${record.log}, version ${view.version} to log ${followed}`;
}
