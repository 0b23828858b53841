import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ControlLogContinuity,
  EMPTY_VIEW,
  foldControl,
  nextRecord,
  otherLogEvidence,
  setBatchWindow,
  type ControlView,
} from '../../../../src/core/control/index.js';

describe('control log continuity', () => {
  it('takes rereads of the same log, compacted or not, as the same log', () => {
    const continuity = new ControlLogContinuity();
    for (const [offset, value] of [
      [0n, 'v1'],
      [1n, 'v2'],
      [2n, null],
      [3n, 'v3'],
    ] as const) {
      assert.equal(continuity.check(offset, value), null);
    }
    // kafkajs restarted the consumer: the log again from its beginning, compaction having removed 0 and 2.
    assert.equal(continuity.check(1n, 'v2'), null);
    assert.equal(continuity.check(3n, 'v3'), null);
    assert.equal(continuity.check(4n, 'v4'), null);
  });

  it('tells a new log by another record at an offset it read', () => {
    const continuity = new ControlLogContinuity();
    continuity.check(0n, 'v1 kill');
    continuity.check(1n, 'v2 off');
    assert.match(continuity.check(0n, 'v1 window') ?? '', /offset 0 holds another record/);
  });

  it('tells a new log by a record below the highest offset read, at an offset it never read', () => {
    // Started after compaction: the old log began at offset 57.
    const continuity = new ControlLogContinuity();
    continuity.check(57n, 'v30');
    continuity.check(58n, 'v31');
    assert.match(continuity.check(0n, 'v1') ?? '', /offset 0 holds a record this reader never read there/);
  });

  it('tells a tombstone from a record at the same offset', () => {
    const continuity = new ControlLogContinuity();
    continuity.check(0n, null);
    continuity.check(1n, 'v1');
    assert.notEqual(continuity.check(0n, 'v1'), null);
  });
});

describe('the log a control record names', () => {
  const window = (maxRecords: number) => (view: ControlView) =>
    setBatchWindow(view.state, { maxRecords, maxWaitMs: null, minRecords: null });
  const write = (view: ControlView, maxRecords: number, newLog: string) => {
    const transition = window(maxRecords)(view);
    assert.ok(transition.ok);
    return nextRecord(view, 'card', transition, { actor: 'a', reason: 'r', nowMs: 1, newLog });
  };

  it('is drawn by the first record of a log and copied by every later one', () => {
    const first = write(EMPTY_VIEW, 500, 'log-a');
    assert.equal(first.log, 'log-a');
    const second = write(foldControl(EMPTY_VIEW, first, 'card'), 600, 'log-b');
    assert.equal(second.log, 'log-a', 'a later record keeps the log it was written to');
  });

  it('tells a new log by a record of a higher version that names another log', () => {
    const v1 = write(EMPTY_VIEW, 500, 'old');
    const view = foldControl(EMPTY_VIEW, write(foldControl(EMPTY_VIEW, v1, 'card'), 600, 'old'), 'card');
    assert.equal(view.version, 2);
    // The new log grew to version 3 before the reader came back to it.
    const v3 = { ...write(view, 700, 'new'), log: 'new' };
    assert.equal(otherLogEvidence(view, v3, 'card'), 'version 3 was written to log new, version 2 to log old');
    assert.equal(otherLogEvidence(view, { ...v3, log: 'old' }, 'card'), null, 'the same log');
    // A writer that lost the race for version 2 with a log id of its own changes nothing: not judged.
    assert.equal(otherLogEvidence(view, { ...v3, version: 2 }, 'card'), null);
    // Records written before the field name no log.
    assert.equal(otherLogEvidence(view, { ...v3, log: undefined }, 'card'), null);
    const legacy = { ...view, record: { ...view.record!, log: undefined } };
    assert.equal(otherLogEvidence(legacy, v3, 'card'), null);
  });
});
