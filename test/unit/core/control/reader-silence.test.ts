import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROL_READER_SILENCE_LIMIT_MS, controlReaderSilence } from '../../../../src/core/control/index.js';

describe('control reader silence', () => {
  it('says nothing up to the limit', () => {
    assert.equal(controlReaderSilence('t.control', 1_000, 1_000 + CONTROL_READER_SILENCE_LIMIT_MS), null);
  });

  it('names the topic, how long and what it means beyond it', () => {
    const reason = controlReaderSilence('t.control', 1_000, 1_000 + 45_000) ?? '';
    assert.match(reason, /reader of t\.control has completed no fetch for 45 s/);
    assert.match(reason, /kill switch included, do not reach this worker/);
  });
});
