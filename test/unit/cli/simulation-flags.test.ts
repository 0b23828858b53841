import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  futureTrafficProblem,
  labelDelayProblem,
  simulateFlagProblems,
  type SimulateChoice,
} from '../../../src/cli/simulation-flags.js';

const files: SimulateChoice = { kafka: false, topology: false, drift: 'none', driftFromDay: 0, days: 60 };
const typed =
  (...flags: string[]) =>
  (flag: string) =>
    flags.includes(flag);

describe('simulate: flags that do not apply to the output chosen', () => {
  it('none typed, none refused, whatever the output', () => {
    assert.deepEqual(simulateFlagProblems(files, typed()), []);
    assert.deepEqual(simulateFlagProblems({ ...files, kafka: true, topology: true }, typed()), []);
  });

  it('Kafka flags while writing files are named, with the fix', () => {
    assert.deepEqual(simulateFlagProblems(files, typed('topology', 'rate')), [
      '-t/--topology and --rate apply only with --kafka, not to files (--out-dir): remove them, or produce to Kafka ' +
        'with --kafka',
    ]);
    assert.deepEqual(simulateFlagProblems(files, typed('invalidRate')), [
      '--invalid-rate applies only with --kafka, not to files (--out-dir): remove it, or produce to Kafka with --kafka',
    ]);
  });

  it('with a topology its own addresses and topics are used: the flags naming others are refused', () => {
    const fromTopology = { ...files, kafka: true, topology: true };
    assert.deepEqual(simulateFlagProblems(fromTopology, typed('brokers', 'registryUrl', 'topic', 'rate')), [
      "--brokers, --registry-url and --topic: with -t the topology's are used: remove them, or drop -t",
    ]);
    assert.deepEqual(simulateFlagProblems({ ...fromTopology, topology: false }, typed('brokers', 'topic')), []);
  });

  it('--format only with files', () => {
    assert.deepEqual(simulateFlagProblems({ ...files, kafka: true }, typed('format')), [
      '--format applies only to files (--out-dir), not with --kafka: remove it',
    ]);
    assert.deepEqual(simulateFlagProblems(files, typed('format')), []);
  });

  it('drift flags only with their drift, and a drift day within the days simulated', () => {
    assert.deepEqual(simulateFlagProblems(files, typed('driftFromDay', 'driftAmountFactor')), [
      '--drift-from-day applies only with a drift: add --drift amount-shift|new-terminals, or remove it',
      '--drift-amount-factor applies only with --drift amount-shift: add that, or remove it',
    ]);
    assert.deepEqual(
      simulateFlagProblems({ ...files, drift: 'amount-shift', driftFromDay: 99, days: 2 }, typed('driftFromDay')),
      ['--drift-from-day: day 99 is not simulated (--days 2 runs days 0 to 1): give a day below 2, or more --days'],
    );
    assert.deepEqual(
      simulateFlagProblems({ ...files, drift: 'new-terminals', driftFromDay: 1, days: 2 }, typed('driftFromDay')),
      [],
    );
  });
});

describe('simulate: label delays in the units of their flags', () => {
  it('the longest may not be shorter than the shortest, said in days and hours', () => {
    assert.equal(labelDelayProblem(1, 7), null);
    assert.equal(labelDelayProblem(24, 1), null);
    assert.equal(
      labelDelayProblem(48, 1),
      '--label-delay-max-days: 1 days (24 h) is shorter than --label-delay-min-hours 48: give at least 2 days, or ' +
        'fewer hours',
    );
    assert.equal(
      labelDelayProblem(3, 0.1),
      '--label-delay-max-days: 0.1 days (2.4 h) is shorter than --label-delay-min-hours 3: give at least 0.125 days, ' +
        'or fewer hours',
    );
  });
});

describe('simulated traffic and the clock', () => {
  const now = Date.UTC(2026, 11, 6, 12);
  it('takes traffic that ends by 24 h past now', () => {
    assert.equal(futureTrafficProblem(Date.UTC(2026, 0, 5), 60, now), null);
    assert.equal(futureTrafficProblem(now - 10 * 86_400_000, 11, now), null, 'ends exactly 24 h ahead');
  });

  it('refuses traffic running further ahead, since every such transaction would be dead-lettered', () => {
    const problem = futureTrafficProblem(Date.UTC(2100, 0, 1), 60, now);
    assert.match(problem ?? '', /^--start 2100-01-01T00:00:00\.000Z with --days 60 runs to 2100-03-02T00:00:00\.000Z/);
    assert.match(problem ?? '', /\(ABSURD_TIMESTAMP\); start by 2026-10-08T12:00:00\.000Z, or simulate fewer --days$/);
    assert.notEqual(futureTrafficProblem(now - 10 * 86_400_000, 12, now), null);
  });
});
