import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { parseTopology } from '../../../src/config/index.js';
import {
  advanceRollout,
  EMPTY_VIEW,
  nextRecord,
  startRollout,
  ScoreStreams,
  STAGE_SIGHTING_MARGIN_MS,
  type ControlRecord,
  type ControlView,
  type RolloutGateBounds,
  type ScoreView,
  type Transition,
} from '../../../src/core/control/index.js';
import {
  controllerStep,
  controllerWriter,
  judgeStage,
  type ControllerWriter,
} from '../../../src/lifecycle/controller.js';
import { rolloutStage } from '../core/control/rollout-fixture.js';

const topology = parseTopology(readFileSync('topologies/card-payments.yaml', 'utf8'), 't.yaml', {
  FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1',
});
const CHAMPION = 'card-fraud@1';
const CHALLENGER = 'card-fraud@2';
const NOW = Date.UTC(2026, 0, 10, 12);
const { stepMs, gates } = topology.rollout;

/** A view after `transition` from `view`, as the control topic would hold it. */
function after(view: ControlView, transition: Transition): ControlView {
  assert.ok(transition.ok, transition.ok ? '' : transition.problem);
  const record = nextRecord(view, topology.name, transition, { actor: 'test', reason: 'test', nowMs: NOW });
  return { version: record.version, state: record.state, record };
}

/** A rollout in its first stage (1 %), started a full step ago, with the gate bounds it set for itself (none). */
function startedAStepAgo(gates: RolloutGateBounds = {}): ControlView {
  return after(
    EMPTY_VIEW,
    startRollout(EMPTY_VIEW.state, {
      model: CHALLENGER,
      champion: CHAMPION,
      salt: 'salt',
      nowMs: NOW - stepMs,
      plan: topology.rollout.plan,
      stepMs,
      gates,
    }),
  );
}
const live = startedAStepAgo();

/** Both models' scores of the i-th record: the same, a fraud (every 10th) on top. */
const alike = (i: number, fraud: boolean): [number, number] => {
  const score = fraud ? 0.9 : ((i * 37) % 100) / 1000;
  return [score, score];
};

/**
 * The first stage's evidence: enough records, each labelled, every 10th a fraud both models rank on top; the
 * challenger's batches take `latencyMs` (a gate fails above the serving SLO).
 */
function streams(latencyMs: number, stage = 0, scoresOf = alike): ScoreStreams {
  const n = Math.max(gates.minRecords, gates.minLabelled);
  const scores: ScoreView[] = [];
  const reports: { transactionId: string; isFraud: boolean; reportedAtMs: number }[] = [];
  for (let i = 0; i < n; i++) {
    const fraud = i % 10 === 0;
    const [champion, score] = scoresOf(i, fraud);
    const at = NOW - stepMs + i;
    scores.push({
      transactionId: `tx-${i}`,
      customerId: `c-${i}`,
      scoredAtMs: at,
      eventTimeMs: at,
      score,
      decision: 'APPROVE',
      model: CHALLENGER,
      route: 'challenger',
      stage,
      percent: topology.rollout.plan[stage] ?? 0,
      controlVersion: live.version,
      reasonCodes: [],
      shadowScores: { [CHAMPION]: champion },
      batchId: `b-${Math.floor(i / 100)}`,
      modelLatencyMs: { [CHAMPION]: 4, [CHALLENGER]: latencyMs },
    });
    reports.push({ transactionId: `tx-${i}`, isFraud: fraud, reportedAtMs: at + 1 });
  }
  const read = new ScoreStreams({ horizonDays: topology.monitoring.evaluation.horizonDays });
  read.readLabels('labels:0', reports, true, NOW);
  read.readScores('output:0', scores, true, NOW);
  return read;
}
const passing = streams(5);
const failing = streams(topology.serving.batchP99Ms * 10);

/** A writer that refuses every write as a broker would; it records what it was asked. */
function failingWriter(error = new Error('broker 127.0.0.1:1 is unreachable')) {
  const asked: string[] = [];
  const writer: ControllerWriter = {
    append: (transition, meta) => {
      asked.push(meta.reason);
      assert.ok(transition(live).ok, 'the change the gates asked for is valid on the stage judged');
      return Promise.reject(error);
    },
    setChampion: () => Promise.reject(new Error('not expected')),
  };
  return { writer, asked };
}

describe('rollout controller step: a change that cannot be written', () => {
  it('a failed write of an advance is reported as such, the stage as it was, and not as idle', async () => {
    const { writer, asked } = failingWriter();
    const outcome = await controllerStep(topology, writer, live, CHAMPION, passing, NOW);
    assert.equal(asked.length, 1);
    assert.equal(outcome.kind, 'unwritten', JSON.stringify(outcome));
    if (outcome.kind !== 'unwritten') return;
    assert.equal(outcome.change, 'advance');
    assert.equal(outcome.why, 'broker 127.0.0.1:1 is unreachable');
    assert.equal(outcome.challenger.percent, 1);
    assert.equal(outcome.verdict.status, 'pass');
  });

  it('a failed write of a rollback is reported as such, naming the failed gate', async () => {
    const { writer, asked } = failingWriter();
    const outcome = await controllerStep(topology, writer, live, CHAMPION, failing, NOW);
    assert.match(asked[0] ?? '', /^automatic rollback: gate latency failed/);
    assert.equal(outcome.kind, 'unwritten', JSON.stringify(outcome));
    if (outcome.kind !== 'unwritten') return;
    assert.equal(outcome.change, 'rollback');
    assert.equal(outcome.verdict.failed?.gate, 'latency');
  });

  it('the next step asks for the same change again: the failure left the stage where it was', async () => {
    const { writer, asked } = failingWriter();
    await controllerStep(topology, writer, live, CHAMPION, passing, NOW);
    await controllerStep(topology, writer, live, CHAMPION, passing, NOW + 5_000);
    assert.deepEqual(asked, ['gates held at 1 % over the stage', 'gates held at 1 % over the stage']);
  });

  it('a stage that changed while it was judged is no failure: nothing to write, judged again (idle)', async () => {
    const moved = after(live, advanceRollout(live.state, NOW));
    const writer: ControllerWriter = {
      append: async (transition) => {
        const result = transition(moved);
        if (!result.ok) throw new Error(result.problem);
        assert.fail('nothing may be written on a stage that moved on');
      },
      setChampion: () => Promise.reject(new Error('not expected')),
    };
    const outcome = await controllerStep(topology, writer, live, CHAMPION, passing, NOW);
    assert.deepEqual(outcome, { kind: 'idle', why: 'the stage changed while it was judged; judging again' });
  });

  it('a promotion written whose registry update fails says so, and is still a promotion', async () => {
    let last = live;
    for (let stage = 1; stage < topology.rollout.plan.length; stage++) {
      last = after(last, advanceRollout(last.state, NOW - stepMs));
    }
    const lastStage = streams(5, topology.rollout.plan.length - 1);
    const writer: ControllerWriter = {
      append: async (transition) => {
        const result = transition(last);
        assert.ok(result.ok);
        return nextRecord(last, topology.name, result, { actor: 'rollout-controller', reason: 'r', nowMs: NOW });
      },
      setChampion: () => Promise.reject(new Error('registry/card-fraud: read-only file system')),
    };
    const outcome = await controllerStep(topology, writer, last, CHAMPION, lastStage, NOW);
    assert.equal(outcome.kind, 'promoted', JSON.stringify(outcome));
    if (outcome.kind !== 'promoted') return;
    assert.equal(outcome.record.state.champion, CHALLENGER);
    assert.equal(outcome.registryProblem, 'registry/card-fraud: read-only file system');
  });

  it('through Kafka, an unreachable broker is explained as the other control commands explain it', async () => {
    // Nothing listens on port 1; no retries, so the refusal comes at once.
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING });
    const outcome = await controllerStep(topology, controllerWriter(topology, kafka), live, CHAMPION, failing, NOW);
    assert.equal(outcome.kind, 'unwritten', JSON.stringify(outcome));
    if (outcome.kind !== 'unwritten') return;
    assert.match(outcome.why, /^kafka\.brokers: cannot connect to Kafka at 127\.0\.0\.1:1 \(ECONNREFUSED/);
  });
});

describe("rollout controller step: a rollout's own gate bounds", () => {
  // A deliberate recalibration: twice the champion's scores, the same order and the same alerts (reviewAt 0.05).
  const recalibrated = streams(5, 0, (i, fraud) => {
    const champion = fraud ? 0.09 : ((i * 37) % 100) / 100_000 + 0.0001;
    return [champion, champion * 2];
  });
  /** A writer that takes the change, as the control topic would; it records the records written. */
  const takingWriter = (view: ControlView) => {
    const records: ControlRecord[] = [];
    const writer: ControllerWriter = {
      append: async (transition, meta) => {
        const result = transition(view);
        assert.ok(result.ok, result.ok ? '' : result.problem);
        const record = nextRecord(view, topology.name, result, { actor: meta.actor, reason: meta.reason, nowMs: NOW });
        records.push(record);
        return record;
      },
      setChampion: () => Promise.reject(new Error('not expected')),
    };
    return { writer, records };
  };

  it("rolls the recalibration back by the topology's score PSI bound", async () => {
    const { writer } = takingWriter(live);
    const outcome = await controllerStep(topology, writer, live, CHAMPION, recalibrated, NOW);
    assert.equal(outcome.kind, 'rolled-back', JSON.stringify(outcome));
    if (outcome.kind !== 'rolled-back') return;
    assert.equal(outcome.verdict.failed?.gate, 'score_psi');
    assert.match(outcome.verdict.failed?.figure ?? '', /\(bound 0\.25 from the topology\)$/);
    assert.equal(outcome.record.state.challenger, null);
  });

  it('advances it by the bound its rollout set, and keeps that bound for the next stage', async () => {
    const own = startedAStepAgo({ maxScorePsi: 2 });
    const { writer, records } = takingWriter(own);
    const outcome = await controllerStep(topology, writer, own, CHAMPION, recalibrated, NOW);
    assert.equal(outcome.kind, 'advanced', JSON.stringify(outcome));
    const psi = outcome.kind === 'advanced' ? outcome.verdict.gates.find((g) => g.gate === 'score_psi') : undefined;
    assert.equal(psi?.status, 'pass');
    assert.match(psi?.figure ?? '', /^score PSI 1\.\d{4} against the champion \(bound 2 set by this rollout\)$/);
    assert.deepEqual(records[0]?.state.challenger?.gates, { maxScorePsi: 2 });
    // `rollout status` judges the stage as the controller does.
    const judged = judgeStage(topology, own, CHAMPION, recalibrated, NOW);
    assert.ok('verdict' in judged);
    assert.equal(judged.verdict.status, 'pass');
  });

  it('still rolls it back when its own bound is below the PSI', async () => {
    const own = startedAStepAgo({ maxScorePsi: 1 });
    const outcome = await controllerStep(topology, takingWriter(own).writer, own, CHAMPION, recalibrated, NOW);
    assert.equal(outcome.kind, 'rolled-back', JSON.stringify(outcome));
    if (outcome.kind === 'rolled-back')
      assert.match(outcome.verdict.failed?.figure ?? '', /bound 1 set by this rollout/);
  });
});

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 10);

function score(id: string, scoredAtMs: number, stage: number): ScoreView {
  return {
    transactionId: id,
    customerId: null,
    scoredAtMs,
    eventTimeMs: scoredAtMs,
    score: 0.1,
    decision: 'APPROVE',
    model: 'card-fraud@2',
    route: 'challenger',
    stage,
    percent: 5,
    controlVersion: 2,
    reasonCodes: [],
    shadowScores: { 'card-fraud@1': 0.1 },
    batchId: `b-${id}`,
    modelLatencyMs: {},
  };
}

function streamsOf(): ScoreStreams {
  const streams = new ScoreStreams({ horizonDays: topology.monitoring.evaluation.horizonDays });
  streams.readScores(
    'output:0',
    [score('shadow', T0, -1), score('old-stage', T0 + HOUR, 0), score('stage', T0 + 3 * HOUR, 1)],
    true,
    T0,
  );
  return streams;
}

// Neither a hold nor an idle step writes anything: no broker is needed.
const noWriter: ControllerWriter = {
  append: () => Promise.reject(new Error('nothing is written')),
  setChampion: () => Promise.reject(new Error('nothing is written')),
};

describe('rollout controller step: what the score streams keep', () => {
  it('keeps only the live stage’s scores since it started', async () => {
    const stage = rolloutStage(T0 + 2 * HOUR);
    const streams = streamsOf();
    const view = { ...EMPTY_VIEW, version: 2, state: { ...EMPTY_VIEW.state, challenger: stage } };
    const outcome = await controllerStep(topology, noWriter, view, 'card-fraud@1', streams, T0 + 4 * HOUR);
    assert.equal(outcome.kind, 'hold');
    assert.deepEqual(
      streams.scores.map((s) => s.transactionId),
      ['stage'],
    );
  });

  it('with no rollout live, keeps only the last scores made in some stage', async () => {
    const streams = streamsOf();
    const outcome = await controllerStep(
      topology,
      noWriter,
      EMPTY_VIEW,
      'card-fraud@1',
      streams,
      T0 + HOUR + STAGE_SIGHTING_MARGIN_MS + 1,
    );
    assert.equal(outcome.kind, 'idle');
    assert.deepEqual(
      streams.scores.map((s) => s.transactionId),
      ['stage'],
    );
  });
});
