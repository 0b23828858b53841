import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { READER_SILENCE_LIMIT_MS, readerSilence } from '../../../../src/core/monitoring/index.js';

describe('reader silence', () => {
  const reader = {
    name: 'the reader of t.control',
    consequence: 'the kill switch does not reach it',
    lastFetchAtMs: 1_000,
  };

  it('says nothing up to the limit', () => {
    assert.equal(readerSilence(reader, 1_000 + READER_SILENCE_LIMIT_MS), null);
  });

  it('names the reader, how long and what it means beyond it', () => {
    assert.equal(
      readerSilence(reader, 1_000 + 45_000),
      'the reader of t.control has completed no fetch for 45 s (its topic deleted, or the broker unreachable): ' +
        'the kill switch does not reach it',
    );
  });
});
