import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureLiveStream } from '../../support/live-stream.js';
import { quantile } from '../../../load-tests/stats.js';

// Exact figures come from load-tests/live-latency.ts; this asserts the behaviour with generous bounds: on a live
// stream faster than maxRecords per window, a record waits for its batch to fill, not for a 30 s window.
describe('a live stream with a 30 s window', () => {
  it('closes batches by size and shows every score well within the window, exactly once', async () => {
    const result = await measureLiveStream({
      ratePerSecond: 500,
      durationMs: 8_000,
      maxWaitMs: 30_000,
      maxRecords: 100,
      labelsPerSecond: 10,
    });
    assert.equal(result.visible, result.sent, 'every record was scored and is visible');
    assert.ok(result.sent >= 3_500, `sent ${result.sent}`);
    assert.equal(result.duplicates, 0, 'no record scored twice');
    const sorted = [...result.latenciesMs].sort((a, b) => a - b);
    const p99 = quantile(sorted, 0.99);
    assert.ok(p99 < 10_000, `p99 produce -> visible ${p99} ms, far below the 30 s window`);
    assert.ok((result.closeReasons['size'] ?? 0) >= 20, `closes: ${JSON.stringify(result.closeReasons)}`);
  });
});
