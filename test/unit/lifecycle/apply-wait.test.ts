import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STATUS_SILENT_AFTER_MS } from '../../../src/adapters/redis/worker-status.js';
import { applyOutcome, applyProgress, applySummary, settledLine } from '../../../src/lifecycle/apply-wait.js';
import type { WorkerReport } from '../../../src/lifecycle/status.js';

const NOW = Date.UTC(2026, 11, 7, 3, 0, 0);
const WRITTEN = NOW - 2_000;

function worker(instance: string, fields: Record<string, unknown>, reportedAtMs = NOW - 1_000): WorkerReport {
  return { instance, status: { reportedAtMs, ...fields } };
}

const applied = (instance: string, version: number, appliedAtMs = WRITTEN + 400) =>
  worker(instance, { appliedVersion: version, appliedAtMs, recordAtMs: WRITTEN, rejected: null });

describe('--wait: where the workers stand with one control change', () => {
  it('is applied once every reporting worker applies it or a later change, each with how long it took', () => {
    const progress = applyProgress(7, [applied('w1', 7), applied('w2', 8, WRITTEN + 900)], NOW);
    assert.equal(applyOutcome(progress), 'applied');
    assert.deepEqual([...progress.applied, ...progress.refused].map(settledLine), [
      '  w1 applies v7 (0.40 s after the change was written)',
      '  w2 applies v8',
    ]);
    assert.deepEqual(applySummary(7, progress, 'applied', 1_200, 'fraudscore control status -t t.yaml'), [
      'every reporting worker (2) applies v7',
    ]);
  });

  it('is pending while one worker is still behind, and says who when the wait ends', () => {
    const progress = applyProgress(7, [applied('w1', 7), applied('w2', 6)], NOW);
    assert.equal(applyOutcome(progress), 'pending');
    const [line, hint] = applySummary(7, progress, 'pending', 60_000, 'fraudscore control status -t t.yaml');
    assert.equal(line, 'not every worker applied v7 within 60.00 s: w2 still at v6');
    assert.match(hint!, /next batch boundary.*`fraudscore control status -t t\.yaml`/);
  });

  it('is refused when a worker refused it (or a later change) and applies neither; an older refusal is no answer', () => {
    const refusing = worker('w2', {
      appliedVersion: 6,
      rejected: { version: 7, reason: 'model card-fraud@9 is not in the registry' },
    });
    const progress = applyProgress(7, [applied('w1', 7), refusing], NOW);
    assert.equal(applyOutcome(progress), 'refused');
    assert.deepEqual(progress.refused.map(settledLine), ['  w2 REFUSED v7: model card-fraud@9 is not in the registry']);
    assert.match(applySummary(7, progress, 'refused', 500, 'status')[0]!, /^v7 refused by 1 of 2 reporting worker/);

    const olderRefusal = worker('w2', { appliedVersion: 6, rejected: { version: 5, reason: 'earlier' } });
    assert.equal(applyOutcome(applyProgress(7, [applied('w1', 7), olderRefusal], NOW)), 'pending');
  });

  it('does not wait for silent workers, and says none reports when only silent ones are left', () => {
    const silent = applied('w2', 3, WRITTEN);
    const gone = { ...silent, status: { ...silent.status, reportedAtMs: NOW - STATUS_SILENT_AFTER_MS - 1 } };
    const progress = applyProgress(7, [applied('w1', 7), gone], NOW);
    assert.equal(applyOutcome(progress), 'applied');
    assert.deepEqual(progress.silent, ['w2']);
    assert.match(applySummary(7, progress, 'applied', 500, 'status')[0]!, /not waited for, silent .*: w2$/);

    const none = applyProgress(7, [gone], NOW);
    assert.equal(applyOutcome(none), 'no-workers');
    assert.match(applySummary(7, none, 'no-workers', 0, 'status')[0]!, /^no worker reported in the last 60\.00 s/);
    assert.equal(applyOutcome(applyProgress(7, [], NOW)), 'no-workers');
  });
});
