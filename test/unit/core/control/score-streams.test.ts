import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScoreStreams, type ScoreView, type StreamRecord } from '../../../../src/core/control/index.js';
import { dayFinalAtMs, labelOf } from '../../../../src/core/monitoring/label-rule.js';

const DAY = 86_400_000;
const D0 = 20_000; // a UTC day index
const horizonDays = 3;

function score(id: string, eventTimeMs: number, scoredAtMs = eventTimeMs): StreamRecord {
  const view: ScoreView = {
    transactionId: id,
    customerId: `c-${id}`,
    scoredAtMs,
    eventTimeMs,
    score: 0.1,
    decision: 'APPROVE',
    model: 'card-fraud@2',
    route: 'challenger',
    stage: 1,
    percent: 50,
    controlVersion: 3,
    reasonCodes: [],
    shadowScores: { 'card-fraud@1': 0.1 },
    batchId: `b-${id}`,
    modelLatencyMs: { 'card-fraud@1': 4, 'card-fraud@2': 5 },
  };
  return { kind: 'score', view };
}

const fraud = (id: string, reportedAtMs: number): StreamRecord => ({
  kind: 'label',
  transactionId: id,
  isFraud: true,
  reportedAtMs,
});

/** How the gates read a transaction's label now (the wall clock far ahead: stream time decides). */
function judged(streams: ScoreStreams, id: string, eventTimeMs: number): boolean | null {
  const clock = { horizonDays, streamTimeMs: streams.streamTimeMs, nowMs: Number.POSITIVE_INFINITY };
  return labelOf(streams.labels.get(id), eventTimeMs, clock);
}

describe('ScoreStreams: stream time as the evaluator keeps it', () => {
  const xAt = D0 * DAY + 3_600_000;
  const d0Final = dayFinalAtMs(D0, horizonDays);

  it('does not judge a transaction genuine while the labels partition holding its report lags behind', () => {
    const streams = new ScoreStreams();
    for (const partition of ['output:0', 'output:1', 'labels:0']) streams.expectPartition(partition, true);
    streams.read('output:1', [score('x', xAt)], true);
    // output:0 is delivered days ahead (Kafka hands out a backlog in chunks), past the day x is final on.
    streams.read('output:0', [score('a', xAt), score('b', d0Final + 5 * DAY)], false);
    assert.equal(judged(streams, 'x', xAt), null, 'its fraud report may still be on labels:0');
    // labels:0 catches up: the report of x, a day after it, and later ones.
    streams.read('labels:0', [fraud('x', xAt + DAY)], false);
    assert.equal(judged(streams, 'x', xAt), true);
    assert.equal(judged(streams, 'a', xAt), null, 'labels:0 has not come past the day a is final on');
    streams.read('labels:0', [fraud('other', d0Final)], false);
    assert.equal(judged(streams, 'a', xAt), false, 'genuine once every partition has come past its day');
  });

  it('is not held back by a partition without records, or read to its end', () => {
    const streams = new ScoreStreams();
    streams.expectPartition('output:0', true);
    streams.expectPartition('labels:0', false);
    streams.read('output:0', [score('x', xAt)], false);
    streams.read('output:0', [score('y', d0Final)], true);
    assert.equal(streams.streamTimeMs, d0Final);
    assert.equal(judged(streams, 'x', xAt), false);
    assert.equal(streams.caughtUp(), true);
  });
});
