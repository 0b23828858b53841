import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { DURATION_UNIT_NEEDED } from '../../../../src/cli/arguments.js';
import { registerCommands } from '../../../../src/cli/commands/index.js';
import {
  controllerStoppedReport,
  judgeOnce,
  rolloutOver,
  rolloutStartRequest,
  stepReport,
  type RolloutStartOptions,
} from '../../../../src/cli/commands/rollout.js';
import { parseTopology } from '../../../../src/config/index.js';
import {
  EMPTY_VIEW,
  nextRecord,
  pauseRollout,
  rollbackRollout,
  startRollout,
  startShadow,
  type ControlView,
  type GateResult,
  type GateVerdict,
  type RolloutGateBounds,
} from '../../../../src/core/control/index.js';
import type { StepOutcome } from '../../../../src/lifecycle/controller.js';
import { fraudscore } from '../../../support/cli.js';

const topology = parseTopology(readFileSync('topologies/card-payments.yaml', 'utf8'), 't.yaml', {
  FRAUDSCORE_KAFKA_BROKERS: 'broker-1:9092,broker-2:9092',
});
const context = { topology, file: 'topologies/card-payments.yaml', intervalMs: 5_000 };
/** A rollout of card-fraud@2 started with `more` (gate bounds of its own, say). */
const startWith = (more: { gates?: RolloutGateBounds } = {}) =>
  startRollout(EMPTY_VIEW.state, {
    model: 'card-fraud@2',
    champion: 'card-fraud@1',
    salt: 'salt',
    nowMs: 0,
    plan: [5, 100],
    stepMs: 1_000,
    ...more,
  });
const started = startWith();
assert.ok(started.ok);
const record = nextRecord(EMPTY_VIEW, topology.name, started, { actor: 'test', reason: 'test', nowMs: 0 });
const live: ControlView = { version: 1, state: record.state, record };
const challenger = live.state.challenger!;
const latency: GateResult = {
  gate: 'latency',
  status: 'fail',
  figure: 'challenger batch p99 900.0 ms (SLO 100 ms)',
  values: {},
};
const failed: GateVerdict = { status: 'fail', gates: [latency], failed: latency };
const passed: GateVerdict = { status: 'pass', gates: [], failed: null };
const why = 'kafka.brokers: cannot connect to Kafka at broker-1:9092,broker-2:9092 (ECONNREFUSED)';

describe('rollout run: a change that could not be written', () => {
  const advance: StepOutcome = { kind: 'unwritten', change: 'advance', verdict: passed, challenger, why };
  const rollback: StepOutcome = { kind: 'unwritten', change: 'rollback', verdict: failed, challenger, why };

  it('says the stage was not advanced, where the record was to go, why, and that it stays and is retried', () => {
    assert.equal(
      stepReport(advance, context).line,
      'NOT ADVANCED: the control record could not be written to card-payments.control (kafka.brokers ' +
        `broker-1:9092,broker-2:9092): ${why}; the stage stays at 5 %; trying again in 5000 ms`,
    );
  });

  it('says a rollback was not written, the exposure that remains, the gate, and how to force it', () => {
    const { line, details } = stepReport(rollback, context);
    assert.equal(
      line,
      'NOT ROLLED BACK: the control record could not be written to card-payments.control (kafka.brokers ' +
        `broker-1:9092,broker-2:9092): ${why}; the challenger still serves 5 % although gate latency failed; ` +
        'trying again in 5000 ms, or force it: fraudscore rollout abort -t topologies/card-payments.yaml --reason "..."',
    );
    assert.deepEqual(details, ['    FAIL latency     challenger batch p99 900.0 ms (SLO 100 ms)']);
  });

  it('is never an idle line', () => {
    for (const outcome of [advance, rollback]) assert.doesNotMatch(stepReport(outcome, context).line, /^idle/);
  });

  it('does not end the rollout: --exit-when-done keeps going and the next step retries the write', () => {
    assert.equal(rolloutOver(advance, live), false);
    assert.equal(rolloutOver(rollback, live), false);
  });

  it('ends it on a rollback written, or once no rollout is in progress', () => {
    const back = rollbackRollout(live.state, {});
    assert.ok(back.ok);
    const written = nextRecord(live, topology.name, back, { actor: 'rollout-controller', reason: 'r', nowMs: 1 });
    assert.equal(rolloutOver({ kind: 'rolled-back', verdict: failed, record: written }, live), true);
    assert.equal(rolloutOver({ kind: 'idle', why: 'no rollout in progress' }, EMPTY_VIEW), true);
    assert.equal(rolloutOver({ kind: 'idle', why: 'rollout paused at 5 %' }, live), false);
  });
});

describe('rollout run: a promotion whose registry update failed', () => {
  it('is reported as the promotion it is, with the registry left to set by hand', () => {
    const promoted = { ...record, change: { kind: 'rollout-promote' as const, details: {} } };
    const state = { ...promoted.state, champion: 'card-fraud@2', challenger: null };
    const outcome: StepOutcome = {
      kind: 'promoted',
      verdict: passed,
      record: { ...promoted, state },
      registryProblem: 'EROFS: read-only file system',
    };
    assert.match(
      stepReport(outcome, context).line,
      /^promoted: v1 .*; but the registry's champion was not set \(EROFS: read-only file system\): the workers follow the control topic, and the registry needs: fraudscore models promote card-fraud@2 --registry \S+$/,
    );
    assert.equal(rolloutOver(outcome, live), true);
  });
});

describe('rollout run: a registry that cannot be read for a moment', () => {
  it('is a step not judged, and the controller goes on, where it used to end the loop', async () => {
    let stepped = 0;
    const unreadable = () => Promise.reject(new Error('ENOENT: no such file or directory, open registry/index.json'));
    const outcome = await judgeOnce(live, unreadable, () => {
      stepped++;
      return Promise.resolve({ kind: 'idle', why: 'no rollout in progress' });
    });
    assert.deepEqual(outcome, {
      kind: 'idle',
      why: 'not judged: ENOENT: no such file or directory, open registry/index.json',
    });
    assert.equal(stepped, 0);
    // A rollout in progress: --exit-when-done keeps judging.
    assert.equal(rolloutOver(outcome, live), false);
  });

  it("judges against the control state's champion without asking the registry", async () => {
    const named: ControlView = { ...live, state: { ...live.state, champion: 'card-fraud@1' } };
    let judgedAgainst = '';
    await judgeOnce(
      named,
      () => Promise.reject(new Error('not to be read')),
      (champion) => {
        judgedAgainst = champion;
        return Promise.resolve({ kind: 'idle', why: 'judged' });
      },
    );
    assert.equal(judgedAgainst, 'card-fraud@1');
  });
});

describe('rollout run stopped by a signal', () => {
  const file = 'topologies/card-payments.yaml';
  it('says the rollout stays where it is, unjudged, and how to resume judging or end it', () => {
    assert.equal(
      controllerStoppedReport(live, file),
      'the rollout of card-fraud@2 stays at 5 % (stage 1/2) with no controller judging it: nothing advances it or ' +
        'rolls it back until `fraudscore rollout run -t topologies/card-payments.yaml` runs again; to end it now: ' +
        '`fraudscore rollout abort -t topologies/card-payments.yaml --reason "..."` (or `kill-switch on`)',
    );
    const paused = pauseRollout(live.state);
    assert.ok(paused.ok);
    assert.match(
      controllerStoppedReport({ ...live, state: paused.state }, file),
      /^the rollout of card-fraud@2 stays at 5 % \(stage 1\/2, paused\) with no controller judging it/,
    );
  });

  it('says nothing is left unjudged with no rollout, a shadow, or the control topic not read yet', () => {
    assert.equal(controllerStoppedReport(EMPTY_VIEW, file), 'no rollout in progress; nothing is left unjudged');
    const shadow = startShadow(EMPTY_VIEW.state, {
      model: 'card-fraud@2',
      champion: 'card-fraud@1',
      salt: 'salt',
      nowMs: 0,
    });
    assert.ok(shadow.ok);
    assert.equal(
      controllerStoppedReport({ ...live, state: shadow.state }, file),
      'no rollout in progress; nothing is left unjudged',
    );
    assert.equal(
      controllerStoppedReport(null, file),
      'stopped before the control topic was read; nothing was judged or changed',
    );
  });
});

describe('rollout flags: refused before anything is loaded or connected', () => {
  // No such file, and nothing listens at 127.0.0.1:1: a command that read the topology or connected before checking
  // its flags would fail on those instead.
  const nowhere = ['-t', '/nonexistent/topology.yaml'];
  const env = { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' };

  /** `rollout start` with `flag` (as its help spells it) given `value`: refused, the first line saying so and why. */
  function refusedBeforeStart(flag: string, value: string, expected: string): void {
    const { status, stderr } = fraudscore(
      ['rollout', 'start', 'card-fraud@2', ...nowhere, flag.split(' ')[0]!, value],
      {
        env,
      },
    );
    assert.equal(status, 1, stderr);
    assert.equal(stderr.split('\n')[0], `error: option '${flag}' argument '${value}' is invalid. ${expected}`);
  }

  it('rollout start --plan and --step, naming the flag, the value and what is wrong', () => {
    for (const [flag, value, expected] of [
      ['--plan <percents>', '1,5,50', 'the last stage must be 100 (the plan is 1,5,50)'],
      ['--plan <percents>', '50,5,100', 'stages must increase: 50,5,100'],
      ['--plan <percents>', 'abc', 'expected percentages that increase to 100, such as 1,5,25,50,100'],
      ['--step <duration>', '5x', 'expected a duration such as 30m, 90s, 2h or 1500ms'],
      [
        '--step <duration>',
        '0s',
        'a stage must last at least 1 min (60000 ms) for its gates to judge traffic served by every worker, not 0 ms; ' +
          'give --step 1m or more, e.g. --step 30m',
      ],
      // Other flags take seconds: a bare number is refused, never read as milliseconds.
      ['--step <duration>', '30', DURATION_UNIT_NEEDED],
      [
        '--step <duration>',
        '59s',
        'a stage must last at least 1 min (60000 ms) for its gates to judge traffic served by every worker, not ' +
          '59000 ms; give --step 1m or more, e.g. --step 30m',
      ],
    ] as const) {
      refusedBeforeStart(flag, value, expected);
    }
  });

  it('rollout start --max-score-psi, --max-alert-rate-delta and --auc-margin, naming the flag and the range', () => {
    const psi = "expected a number > 0 and <= 10, the range of the topology's rollout.gates.maxScorePsi";
    const unit = (bound: string) => `expected a number from 0 to 1, the range of the topology's rollout.gates.${bound}`;
    for (const [flag, value, expected] of [
      ['--max-score-psi <x>', '0', psi],
      ['--max-score-psi <x>', '-1', psi],
      ['--max-score-psi <x>', '10.5', psi],
      ['--max-score-psi <x>', 'high', psi],
      ['--max-score-psi <x>', '', psi],
      ['--max-alert-rate-delta <x>', '-0.01', unit('maxAlertRateDelta')],
      ['--max-alert-rate-delta <x>', '5%', unit('maxAlertRateDelta')],
      ['--auc-margin <x>', '1.5', unit('aucMargin')],
    ] as const) {
      refusedBeforeStart(flag, value, expected);
    }
  });

  it('rollout run --interval', () => {
    for (const [value, expected] of [
      ['5x', 'expected a duration such as 30m, 90s, 2h or 1500ms'],
      ['0s', 'at least 1s (0 ms would judge the gates back to back)'],
      ['5', DURATION_UNIT_NEEDED],
      ['500ms', 'at least 1s (500 ms would judge the gates back to back)'],
    ]) {
      const { status, stderr } = fraudscore(['rollout', 'run', ...nowhere, '--interval', value!], { env });
      assert.equal(status, 1, stderr);
      assert.equal(
        stderr.split('\n')[0],
        `error: option '--interval <duration>' argument '${value}' is invalid. ${expected}`,
      );
    }
  });
});

describe('rollout start: the bounds given for the rollout', () => {
  /** The options commander hands `rollout start`'s action for `args`, without running it. */
  function optionsOf(args: readonly string[]): RolloutStartOptions {
    const program = new Command('fraudscore').exitOverride();
    registerCommands(program);
    let seen: RolloutStartOptions | undefined;
    program.hook('preAction', (_, action) => {
      seen = action.opts<RolloutStartOptions>();
      throw new Error('parsed');
    });
    assert.throws(
      () => program.parse(['rollout', 'start', 'card-fraud@2', '-t', 't.yaml', ...args], { from: 'user' }),
      /^Error: parsed$/,
    );
    return seen!;
  }

  it('go to the control plane each as the bound of the same name', () => {
    const request = rolloutStartRequest(
      optionsOf(['--max-score-psi', '2', '--max-alert-rate-delta', '0.01', '--auc-margin', '0.03']),
    );
    assert.deepEqual(request.gates, { maxScorePsi: 2, maxAlertRateDelta: 0.01, aucMargin: 0.03 });
    assert.deepEqual(rolloutStartRequest(optionsOf(['--max-score-psi', '1.5'])).gates, {
      maxScorePsi: 1.5,
      maxAlertRateDelta: undefined,
      aucMargin: undefined,
    });
  });

  it('none given, none set: the rollout is judged by the topology', () => {
    const request = rolloutStartRequest(optionsOf([]));
    assert.deepEqual(request, {
      reason: 'no reason given',
      gates: { maxScorePsi: undefined, maxAlertRateDelta: undefined, aucMargin: undefined },
    });
    // The transition keeps none of them (test/unit/core/control/fold.test.ts): the record reads as one without the field.
    const startedBy = startWith(request);
    assert.ok(startedBy.ok);
    assert.equal(startedBy.state.challenger?.gates, undefined);
  });
});
