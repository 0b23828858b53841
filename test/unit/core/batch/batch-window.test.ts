import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchWindow } from '../../../../src/core/batch/batch-window.js';

describe('BatchWindow', () => {
  const policy = { maxRecords: 100, maxWaitMs: 30_000 };

  it('closes on size exactly at maxRecords', () => {
    const window = new BatchWindow(policy);
    assert.equal(window.add(99, 0), undefined);
    assert.equal(window.room(), 1);
    assert.equal(window.add(1, 5), 'size');
  });

  it('closes on time maxWaitMs after the first record, not after the window was created', () => {
    const window = new BatchWindow(policy);
    assert.equal(window.expired(1_000_000), undefined, 'an empty window never expires');
    window.add(1, 1_000);
    assert.equal(window.untilNext(1_000), 30_000);
    assert.equal(window.expired(30_999), undefined);
    assert.equal(window.expired(31_000), 'time');
    assert.equal(window.untilNext(40_000), 0);
  });

  it('starts afresh after reset', () => {
    const window = new BatchWindow(policy);
    window.add(100, 0);
    window.reset();
    assert.equal(window.size(), 0);
    assert.equal(window.untilNext(10), undefined);
    assert.equal(window.add(1, 50_000), undefined);
    assert.equal(window.expired(79_999), undefined);
    assert.equal(window.expired(80_000), 'time');
  });

  it('ignores empty additions', () => {
    const window = new BatchWindow(policy);
    assert.equal(window.add(0, 0), undefined);
    assert.equal(window.untilNext(0), undefined);
  });
});
