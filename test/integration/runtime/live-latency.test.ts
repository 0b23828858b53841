import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureLiveStream } from '../../support/live-stream.js';
import { quantile } from '../../../load-tests/stats.js';

// Exact figures come from load-tests/live-latency.ts; this asserts the behaviour with generous bounds: on a live
// stream a batch closes once its partitions are read to their ends and minRecords wait, so a record waits about one
// batch's work, neither for a 30 s window nor for 1000 records to gather.
describe('a live stream with a 30 s window', () => {
  it('closes batches as the stream drains and shows every score well within the window, exactly once', async () => {
    const result = await measureLiveStream({
      ratePerSecond: 500,
      durationMs: 8_000,
      maxWaitMs: 30_000,
      maxRecords: 1000,
      minRecords: 50,
      labelsPerSecond: 10,
    });
    assert.equal(result.visible, result.sent, 'every record was scored and is visible');
    assert.ok(result.sent >= 3_500, `sent ${result.sent}`);
    assert.equal(result.duplicates, 0, 'no record scored twice');
    const sorted = [...result.latenciesMs].sort((a, b) => a - b);
    const p99 = quantile(sorted, 0.99);
    assert.ok(p99 < 5_000, `p99 produce -> visible ${p99} ms, far below the 30 s window and a 1000-record fill (2 s)`);
    assert.ok((result.closeReasons['drained'] ?? 0) >= 10, `closes: ${JSON.stringify(result.closeReasons)}`);
    // Only the stream's tail (fewer than minRecords left once the producer stopped) may wait for the window.
    assert.ok((result.closeReasons['time'] ?? 0) <= 1, `closes: ${JSON.stringify(result.closeReasons)}`);
  });
});
