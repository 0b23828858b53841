import { createHash } from 'node:crypto';

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
 */
export class ControlLogContinuity {
  /** Offset → digest of the record read there (a tombstone has one too): a few bytes per control change. */
  private readonly read = new Map<bigint, string>();
  private highest = -1n;

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
