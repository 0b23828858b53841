import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timestampProblem, type TopicTimestampPolicy } from '../../../src/simulate/topics.js';

const DAY = 86_400_000;
const now = Date.UTC(2026, 10, 25);
const span = { firstMs: Date.UTC(2026, 0, 5), lastMs: Date.UTC(2026, 2, 13) };
const open: TopicTimestampPolicy = {
  topic: 't',
  retentionMs: -1,
  logAppendTime: false,
  beforeMaxMs: Number.MAX_SAFE_INTEGER,
  afterMaxMs: Number.MAX_SAFE_INTEGER,
};

describe('timestampProblem', () => {
  it('accepts a topic that keeps records forever', () => {
    assert.equal(timestampProblem(open, span, now), null);
  });

  it('flags a retention that would delete the simulated past, with the fix', () => {
    const problem = timestampProblem({ ...open, retentionMs: 7 * DAY }, span, now);
    assert.match(problem ?? '', /retention\.ms=604800000.*retention\.ms=-1/s);
    assert.equal(timestampProblem({ ...open, retentionMs: 365 * DAY }, span, now), null);
  });

  it('flags broker limits on old or future timestamps', () => {
    assert.match(timestampProblem({ ...open, beforeMaxMs: DAY }, span, now) ?? '', /before\.max\.ms/);
    const future = { firstMs: now, lastMs: now + 8 * DAY };
    assert.match(timestampProblem({ ...open, afterMaxMs: 3_600_000 }, future, now) ?? '', /after\.max\.ms/);
  });

  it('does not care when the broker stamps records itself', () => {
    assert.equal(timestampProblem({ ...open, retentionMs: DAY, logAppendTime: true }, span, now), null);
  });
});
