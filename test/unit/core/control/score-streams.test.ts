import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  labelOfScore,
  ScoreStreams,
  stageEvidence,
  type LabelReport,
  type ScoreRetention,
  type ScoreView,
} from '../../../../src/core/control/index.js';
import {
  dayFinalAtMs,
  dayOf,
  foldLabelReport,
  latestFinalDay,
  type LabelClock,
  type LabelView,
} from '../../../../src/core/monitoring/label-rule.js';
import { StreamTime } from '../../../../src/core/monitoring/stream-time.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const D0 = 20_000; // a UTC day index
const horizonDays = 3;
const CHAMPION = 'card-fraud@1';
const CHALLENGER = 'card-fraud@2';

function score(
  id: string,
  eventTimeMs: number,
  more: { scoredAtMs?: number; stage?: number; batchId?: string; score?: number } = {},
): ScoreView {
  return {
    transactionId: id,
    customerId: `c-${id}`,
    scoredAtMs: more.scoredAtMs ?? eventTimeMs,
    eventTimeMs,
    score: more.score ?? 0.1,
    decision: 'APPROVE',
    model: CHALLENGER,
    route: 'challenger',
    stage: more.stage ?? 1,
    percent: 50,
    controlVersion: 3,
    reasonCodes: [],
    shadowScores: { [CHAMPION]: (more.score ?? 0.1) / 2 },
    batchId: more.batchId ?? `b-${id}`,
    modelLatencyMs: { [CHAMPION]: 4, [CHALLENGER]: 5 },
  };
}

const fraud = (transactionId: string, reportedAtMs: number): LabelReport => ({
  transactionId,
  isFraud: true,
  reportedAtMs,
});
const genuine = (transactionId: string, reportedAtMs: number): LabelReport => ({
  transactionId,
  isFraud: false,
  reportedAtMs,
});

/** The wall clock far ahead: stream time decides, as in a replayed history. */
const NOW = Number.POSITIVE_INFINITY;
const clockOf = (streams: ScoreStreams): LabelClock => ({
  horizonDays,
  streamTimeMs: streams.streamTimeMs,
  nowMs: NOW,
});

/** How the gates read the label of the kept score of `id`. */
function judged(streams: ScoreStreams, id: string): boolean | null {
  const view = streams.scores.find((s) => s.transactionId === id);
  assert.ok(view, `a score of ${id} is kept`);
  return labelOfScore(view, streams.labels, clockOf(streams));
}

describe('ScoreStreams: stream time as the evaluator keeps it', () => {
  const xAt = D0 * DAY + 3_600_000;
  const d0Final = dayFinalAtMs(D0, horizonDays);

  it('does not judge a transaction genuine while the labels partition holding its report lags behind', () => {
    const streams = new ScoreStreams({ horizonDays });
    streams.expectPartition('output', 'output:0', true);
    streams.expectPartition('output', 'output:1', true);
    streams.expectPartition('labels', 'labels:0', true);
    streams.readScores('output:1', [score('x', xAt)], true, NOW);
    // output:0 is delivered days ahead (Kafka hands out a backlog in chunks), past the day x is final on.
    streams.readScores('output:0', [score('a', xAt), score('b', d0Final + 5 * DAY)], false, NOW);
    assert.equal(judged(streams, 'x'), null, 'its fraud report may still be on labels:0');
    // labels:0 catches up: the report of x, a day after it, and later ones.
    streams.readLabels('labels:0', [fraud('x', xAt + DAY)], false, NOW);
    assert.equal(judged(streams, 'x'), true);
    assert.equal(judged(streams, 'a'), null, 'labels:0 has not come past the day a is final on');
    streams.readLabels('labels:0', [fraud('other', d0Final)], false, NOW);
    assert.equal(judged(streams, 'a'), false, 'genuine once every partition has come past its day');
  });

  it('is not held back by a partition without records, or read to its end', () => {
    const streams = new ScoreStreams({ horizonDays });
    streams.expectPartition('output', 'output:0', true);
    streams.expectPartition('labels', 'labels:0', false);
    streams.readScores('output:0', [score('x', xAt)], false, NOW);
    streams.readScores('output:0', [score('y', d0Final)], true, NOW);
    assert.equal(streams.streamTimeMs, d0Final);
    assert.equal(judged(streams, 'x'), false);
    assert.equal(streams.caughtUp(), true);
  });
});

describe('ScoreStreams: retention', () => {
  it('keeps a label that comes before its score while the scores have not reached its day, and one that comes after', () => {
    const streams = new ScoreStreams({ horizonDays });
    const xAt = (D0 + 10) * DAY;
    // The labels topic is read far ahead of the scores (a simulator or a backlog writes it ahead of scoring): stream
    // time over both topics is past the day x is final on, the scores' own stream time is not.
    streams.readScores('output:0', [score('first', D0 * DAY)], true, NOW);
    streams.readLabels('labels:0', [fraud('x', xAt + DAY), fraud('later', (D0 + 30) * DAY)], true, NOW);
    assert.ok(streams.streamTimeMs >= dayFinalAtMs(D0 + 10, horizonDays));
    streams.readScores('output:0', [score('x', xAt), score('y', xAt)], true, NOW);
    streams.readLabels('labels:0', [fraud('y', xAt + DAY)], true, NOW);
    assert.equal(judged(streams, 'x'), true, 'the report read before its score');
    assert.equal(judged(streams, 'y'), true, 'the report read after its score');
  });

  it('lets go of the labels no kept score refers to once their day is final, and of the scores no stage needs', () => {
    const streams = new ScoreStreams({ horizonDays, retention: { scoredFromMs: (D0 + 20) * DAY, rolloutOnly: true } });
    // Twenty days of traffic before the stage, one transaction an hour, each reported a day later, read as it comes.
    for (let day = D0; day < D0 + 20; day++) {
      const ids = Array.from({ length: 24 }, (_, h) => ({ id: `tx-${day}-${h}`, at: day * DAY + h * 3_600_000 }));
      streams.readScores(
        'output:0',
        ids.map(({ id, at }) => score(id, at)),
        true,
        NOW,
      );
      streams.readLabels(
        'labels:0',
        ids.map(({ id, at }) => genuine(id, at + DAY)),
        true,
        NOW,
      );
    }
    assert.equal(streams.scoresRead, 20 * 24);
    assert.equal(streams.scores.length, 0, 'none scored in the stage');
    // Reports of the last horizonDays + 2 days are kept: a transaction they are about may still be read.
    assert.ok(streams.labels.size <= (horizonDays + 2) * 24, `${streams.labels.size} labels kept`);
    assert.ok(streams.labels.size > 0);
  });

  it('reads no label for a score read after its day was final against the scores read before it', () => {
    const streams = new ScoreStreams({ horizonDays });
    const lateAt = D0 * DAY + 3_600_000;
    streams.readLabels('labels:0', [fraud('late', lateAt + DAY)], true, NOW);
    streams.readScores('output:0', [score('ahead', (D0 + 10) * DAY)], true, NOW);
    assert.equal(streams.labels.size, 0, 'the report is of a day final against the scores: let go');
    streams.readScores('output:1', [score('late', lateAt)], true, NOW);
    assert.equal(streams.scores.find((s) => s.transactionId === 'late')?.late, true);
    assert.equal(judged(streams, 'late'), null, 'not judged genuine on a report let go');
    assert.equal(streams.scores.find((s) => s.transactionId === 'ahead')?.late, undefined);
  });

  it('judges every score it keeps on the same reports as a reader that keeps everything, whatever the order', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { bounded, unbounded, retention } = follow(c);
        assert.equal(bounded.streamTimeMs, unbounded.streamTimeMs);
        const wanted = unbounded.scores.filter(
          (s) => s.scoredAtMs >= retention.scoredFromMs && (!retention.rolloutOnly || s.stage >= 0),
        );
        assert.deepEqual(
          bounded.scores.map((s) => s.batchId),
          wanted.map((s) => s.batchId),
          'the scores the retention asks for, and no other',
        );
        const byBatch = new Map(unbounded.scores.map((s) => [s.batchId, s]));
        for (const clock of [clockOf(bounded), { ...clockOf(bounded), streamTimeMs: NOW }]) {
          for (const s of bounded.scores) {
            const same = byBatch.get(s.batchId) as ScoreView;
            assert.equal(s.late, same.late, s.batchId);
            assert.equal(
              labelOfScore(s, bounded.labels, clock),
              labelOfScore(same, unbounded.labels, clock),
              s.batchId,
            );
          }
          for (const stageIndex of [0, 1]) {
            const stage = { champion: CHAMPION, challenger: CHALLENGER, stageIndex, ...clock };
            const at = { ...stage, startedAtMs: retention.scoredFromMs };
            assert.deepEqual(
              stageEvidence(bounded.scores, bounded.labels, at),
              stageEvidence(unbounded.scores, unbounded.labels, at),
            );
            // With the earliest uses of every score read (whatever the retention kept): the same labels.
            assert.deepEqual(
              stageEvidence(bounded.scores, bounded.labels, at, bounded.firstUses),
              stageEvidence(unbounded.scores, unbounded.labels, at, bounded.firstUses),
            );
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('ScoreStreams: the earliest use of a transaction id', () => {
  const firstAt = D0 * DAY + 3_600_000;
  const againAt = (D0 + 2) * DAY + 3_600_000;
  const stage = (streams: ScoreStreams) => ({
    champion: CHAMPION,
    challenger: CHALLENGER,
    stageIndex: 1,
    startedAtMs: (D0 + 1) * DAY,
    ...clockOf(streams),
  });

  it('remembers a use let go by the retention: a later use in the stage reads none of its reports', () => {
    const streams = new ScoreStreams({ horizonDays, retention: { scoredFromMs: (D0 + 1) * DAY, rolloutOnly: true } });
    // Used before the stage (not kept), used again in it, one fraud report after both: it is about the first use.
    streams.readScores('output:0', [score('x', firstAt, { stage: -1 }), score('x', againAt)], true, NOW);
    streams.readLabels('labels:0', [fraud('x', againAt + DAY)], true, NOW);
    streams.readScores('output:0', [score('end', dayFinalAtMs(D0 + 2, horizonDays))], true, NOW);
    assert.deepEqual(
      streams.scores.map((s) => s.transactionId),
      ['x', 'end'],
    );
    assert.equal(streams.firstUses.get('x'), firstAt);
    const { labelled } = stageEvidence(streams.scores, streams.labels, stage(streams), streams.firstUses);
    assert.deepEqual(labelled[0], { index: 0, fraud: false }, 'genuine, as the evaluator counts it');
  });

  it('leaves a late score out: a later use takes the report, as in the evaluator', () => {
    const streams = new ScoreStreams({ horizonDays });
    streams.readScores('output:0', [score('ahead', dayFinalAtMs(D0, horizonDays))], true, NOW);
    streams.readScores('output:1', [score('x', firstAt, { stage: -1 })], true, NOW);
    assert.equal(streams.scores.find((s) => s.transactionId === 'x')?.late, true);
    streams.readScores('output:1', [score('x', againAt + 5 * DAY)], true, NOW);
    streams.readLabels('labels:0', [fraud('x', againAt + 6 * DAY)], true, NOW);
    assert.equal(streams.firstUses.get('x'), againAt + 5 * DAY);
    const later = streams.scores.find((s) => s.transactionId === 'x' && !s.late) as ScoreView;
    assert.equal(labelOfScore(later, streams.labels, clockOf(streams), streams.firstUses), true);
  });

  it('lets go of a first use horizonDays after its day is final, as the evaluator lets go of a final day', () => {
    const streams = new ScoreStreams({ horizonDays });
    streams.readScores('output:0', [score('x', firstAt)], true, NOW);
    streams.readScores('output:0', [score('y', dayFinalAtMs(D0 + horizonDays - 1, horizonDays))], true, NOW);
    assert.equal(streams.firstUses.has('x'), true, 'its day is final, not yet by the horizon');
    streams.readScores('output:0', [score('z', dayFinalAtMs(D0 + horizonDays, horizonDays))], true, NOW);
    assert.equal(streams.firstUses.has('x'), false);
    assert.equal(streams.firstUses.has('z'), true);
  });
});

const PARTITIONS = ['output:0', 'output:1', 'labels:0', 'labels:1'] as const;

const recordArb = fc.record({
  // Few ids: some are used by more than one transaction.
  idNo: fc.integer({ min: 0, max: 12 }),
  eventMinute: fc.integer({ min: 0, max: 20 * 1440 }),
  scoredLagMinutes: fc.integer({ min: 0, max: 3 * 1440 }),
  stage: fc.constantFrom(-1, 0, 1),
  partition: fc.constantFrom(0, 1),
  score: fc.double({ min: 0, max: 1, noNaN: true }),
  reports: fc.array(
    fc.record({
      fraud: fc.boolean(),
      // Some before the transaction (about an earlier use of its id), some past the horizon.
      delayMinutes: fc.integer({ min: -2 * 1440, max: 8 * 1440 }),
      partition: fc.constantFrom(2, 3),
    }),
    { maxLength: 2 },
  ),
});

const caseArb = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 50 }),
  /** Whether each partition holds its records in time order (a live topic, nearly) or as they came. */
  inTimeOrder: fc.boolean(),
  steps: fc.array(
    fc.record({
      partition: fc.integer({ min: 0, max: 3 }),
      take: fc.integer({ min: 1, max: 6 }),
      retain: fc.option(
        fc.record({ advanceMinutes: fc.integer({ min: 0, max: 4 * 1440 }), rolloutOnly: fc.boolean() }),
      ),
    }),
    { maxLength: 60 },
  ),
});

/**
 * The reference: every score and every report kept for ever, scores marked late by the definition (read after their
 * day was final against the stream time of the output topic and the clock).
 */
class KeepEverything {
  readonly scores: ScoreView[] = [];
  readonly labels = new Map<string, LabelView>();
  private readonly time = new StreamTime();
  private readonly scoredTime = new StreamTime();

  get streamTimeMs(): number {
    return this.time.ms;
  }

  expectPartition(topic: 'output' | 'labels', partition: string, hasRecords: boolean): void {
    this.time.expect(partition, hasRecords);
    if (topic === 'output') this.scoredTime.expect(partition, hasRecords);
  }

  readScores(partition: string, views: readonly ScoreView[], atEnd: boolean, nowMs: number): void {
    const finalDay = latestFinalDay(Math.min(this.scoredTime.ms, nowMs), horizonDays);
    for (const view of views) this.scores.push(dayOf(view.eventTimeMs) <= finalDay ? { ...view, late: true } : view);
    this.time.read(
      partition,
      views.map((view) => view.eventTimeMs),
      atEnd,
    );
    this.scoredTime.read(
      partition,
      views.map((view) => view.eventTimeMs),
      atEnd,
    );
  }

  readLabels(partition: string, reports: readonly LabelReport[], atEnd: boolean): void {
    for (const r of reports) this.labels.set(r.transactionId, foldLabelReport(this.labels.get(r.transactionId), r));
    this.time.read(
      partition,
      reports.map((r) => r.reportedAtMs),
      atEnd,
    );
  }
}

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

type Queued = { readonly atMs: number } & ({ readonly view: ScoreView } | { readonly report: LabelReport });

/**
 * Feeds the same batches to a ScoreStreams told a tightening retention as it goes (as the controller tells it the live
 * stage) and to one that keeps everything; then reads every partition to its end.
 */
function follow(c: Case) {
  const queues: Queued[][] = PARTITIONS.map(() => []);
  c.records.forEach((r, k) => {
    const eventTimeMs = D0 * DAY + r.eventMinute * MINUTE;
    const id = `tx-${r.idNo}`;
    const view = score(id, eventTimeMs, {
      scoredAtMs: eventTimeMs + r.scoredLagMinutes * MINUTE,
      stage: r.stage,
      batchId: `b-${k}`,
      score: r.score,
    });
    queues[r.partition]?.push({ atMs: eventTimeMs, view });
    for (const report of r.reports) {
      const reportedAtMs = eventTimeMs + report.delayMinutes * MINUTE;
      queues[report.partition]?.push({
        atMs: reportedAtMs,
        report: { transactionId: id, isFraud: report.fraud, reportedAtMs },
      });
    }
  });
  if (c.inTimeOrder) for (const queue of queues) queue.sort((a, b) => a.atMs - b.atMs);
  let retention: ScoreRetention = { scoredFromMs: D0 * DAY, rolloutOnly: false };
  const bounded = new ScoreStreams({ horizonDays, retention });
  const unbounded = new KeepEverything();
  PARTITIONS.forEach((partition, p) => {
    const topic = p < 2 ? 'output' : 'labels';
    for (const streams of [bounded, unbounded]) streams.expectPartition(topic, partition, (queues[p]?.length ?? 0) > 0);
  });
  const read = (p: number, take: number) => {
    const batch = queues[p]?.splice(0, take) ?? [];
    const atEnd = queues[p]?.length === 0;
    for (const streams of [bounded, unbounded]) {
      if (p < 2)
        streams.readScores(
          PARTITIONS[p] as string,
          batch.map((q) => ('view' in q ? q.view : assert.fail())),
          atEnd,
          NOW,
        );
      else
        streams.readLabels(
          PARTITIONS[p] as string,
          batch.map((q) => ('report' in q ? q.report : assert.fail())),
          atEnd,
          NOW,
        );
    }
  };
  for (const step of c.steps) {
    read(step.partition, step.take);
    if (step.retain) {
      retention = {
        scoredFromMs: retention.scoredFromMs + step.retain.advanceMinutes * MINUTE,
        rolloutOnly: retention.rolloutOnly || step.retain.rolloutOnly,
      };
      bounded.retain(retention);
    }
  }
  for (let p = 0; p < PARTITIONS.length; p++) while ((queues[p]?.length ?? 0) > 0) read(p, 5);
  return { bounded, unbounded, retention };
}
