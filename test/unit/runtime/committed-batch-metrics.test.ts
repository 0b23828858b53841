import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPipelineMetrics } from '../../../src/adapters/observability/metrics.js';
import { recordCommittedBatch } from '../../../src/runtime/committed-batch-metrics.js';
import type { CommittedBatch } from '../../../src/runtime/runner-deps.js';
import type { BatchSummary } from '../../../src/runtime/score-batch.js';

const HOUR_MS = 3_600_000;
const T = Date.UTC(2026, 11, 7);
const batch = { closeReason: 'size', size: 10, latencyMs: 5, commitMs: 1 } as unknown as CommittedBatch;

function summaryTaking(transactions: number, labels: number): BatchSummary {
  return {
    labels: Number.isFinite(labels) ? 1 : 0,
    decisions: {},
    deadLetterReasons: {},
    reasonCodes: {},
    stageMs: {},
    newestTakenMs: { transactions, labels },
  } as unknown as BatchSummary;
}

/** fraudscore_newest_taken_time_seconds by stream, as a scrape would read it. */
async function newestTaken(metrics: ReturnType<typeof createPipelineMetrics>): Promise<Record<string, number>> {
  const { values } = await metrics.newestTaken.get();
  return Object.fromEntries(values.map(({ labels, value }) => [String(labels['stream']), value]));
}

describe('recordCommittedBatch: the newest time taken per stream', () => {
  it('exports no series for a stream before its first record (a 0 would read as a feed decades behind)', async () => {
    const metrics = createPipelineMetrics('t');
    assert.deepEqual(await newestTaken(metrics), {});
    recordCommittedBatch(metrics, batch, summaryTaking(T, Number.NEGATIVE_INFINITY));
    assert.deepEqual(await newestTaken(metrics), { transactions: T / 1000 });
  });

  it('keeps the newest time seen, not the last batch’s: partitions deliver older records after newer ones', async () => {
    const metrics = createPipelineMetrics('t');
    recordCommittedBatch(metrics, batch, summaryTaking(T, T - 2 * HOUR_MS));
    recordCommittedBatch(metrics, batch, summaryTaking(T - HOUR_MS, T - 7 * HOUR_MS));
    assert.deepEqual(await newestTaken(metrics), { transactions: T / 1000, labels: (T - 2 * HOUR_MS) / 1000 });
    recordCommittedBatch(metrics, batch, summaryTaking(T + HOUR_MS, T - HOUR_MS));
    assert.deepEqual(await newestTaken(metrics), {
      transactions: (T + HOUR_MS) / 1000,
      labels: (T - HOUR_MS) / 1000,
    });
  });
});
