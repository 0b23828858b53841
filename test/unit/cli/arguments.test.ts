import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { describe, it } from 'node:test';
import {
  decimal,
  duration,
  DURATION_UNIT_NEEDED,
  integer,
  port,
  rolloutPlan,
  seconds,
} from '../../../src/cli/arguments.js';

function refusal(parse: (value: string) => unknown, value: string): string {
  try {
    parse(value);
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError, `a usage error for ${value}`);
    return error.message;
  }
  assert.fail(`${value} was accepted`);
}

describe('numeric flag parsers', () => {
  it('integer: decimal digits within the range, and the range said when refused', () => {
    const days = integer({ min: 1 });
    assert.equal(days('30'), 30);
    assert.equal(days(' 7 '), 7);
    for (const bad of ['abc', '', '0', '-1', '1.5', '1e3', '0x10', 'NaN', '9007199254740993']) {
      assert.equal(refusal(days, bad), 'expected an integer >= 1', bad);
    }
    const workers = integer({ min: 1, max: 2 });
    assert.equal(workers('2'), 2);
    assert.equal(refusal(workers, '3'), 'expected an integer from 1 to 2');
    assert.equal(integer()('0'), 0);
    assert.equal(refusal(integer(), '-1'), 'expected an integer >= 0');
  });

  it('decimal: finite numbers within the range, the minimum excluded when asked', () => {
    const share = decimal({ max: 1 });
    assert.equal(share('0.95'), 0.95);
    assert.equal(share('0'), 0);
    for (const bad of ['lots', '', ' ', '1.01', '-0.1', 'Infinity', 'NaN']) {
      assert.equal(refusal(share, bad), 'expected a number from 0 to 1', bad);
    }
    const timeout = decimal({ minExcluded: true });
    assert.equal(timeout('0.5'), 0.5);
    assert.equal(refusal(timeout, '0'), 'expected a number > 0');
    assert.equal(refusal(decimal({ minExcluded: true, max: 10 }), '11'), 'expected a number > 0 and <= 10');
  });

  it('port: 0 (any free port) to 65535', () => {
    assert.equal(port('0'), 0);
    assert.equal(port('65535'), 65_535);
    for (const bad of ['abc', '-1', '65536', '70000']) {
      assert.equal(refusal(port, bad), 'expected an integer from 0 to 65535', bad);
    }
  });

  it('duration: a number with a unit, in milliseconds', () => {
    assert.equal(duration('24h'), 86_400_000);
    assert.equal(duration('1500ms'), 1_500);
    // Other flags take seconds (--wait, --timeout): a bare number is refused, never read as milliseconds.
    assert.equal(refusal(duration, '1500'), DURATION_UNIT_NEEDED);
    assert.equal(refusal(duration, 'soon'), 'expected a duration such as 30m, 90s, 2h or 1500ms');
  });

  it('seconds: a bare number is seconds, a duration is read with its unit, within (0, max]', () => {
    const wait = seconds({ max: 3_600 });
    assert.equal(wait('60'), 60);
    assert.equal(wait(' 2.5 '), 2.5);
    assert.equal(wait('60s'), 60);
    assert.equal(wait('2m'), 120);
    assert.equal(wait('1500ms'), 1.5);
    assert.equal(wait('1h'), 3_600);
    const expected = 'expected seconds (a number > 0 and <= 3600) or a duration such as 90s or 2m';
    for (const bad of ['', 'soon', '0', '0s', '-5', '3601', '61m', '2d', '1e3', 'Infinity', '60 s']) {
      assert.equal(refusal(wait, bad), expected, bad);
    }
  });

  it('rolloutPlan: percentages that increase to 100, as a rollout start checks them', () => {
    assert.deepEqual(rolloutPlan('1,5,25,50,100'), [1, 5, 25, 50, 100]);
    assert.deepEqual(rolloutPlan('100'), [100]);
    assert.equal(refusal(rolloutPlan, 'abc'), 'expected percentages that increase to 100, such as 1,5,25,50,100');
    assert.equal(refusal(rolloutPlan, '1,5,50'), 'the last stage must be 100 (the plan is 1,5,50)');
    assert.equal(refusal(rolloutPlan, '50,5,100'), 'stages must increase: 50,5,100');
    assert.equal(refusal(rolloutPlan, '0,100'), 'stage 0 is not a percentage in (0, 100]');
    assert.equal(refusal(rolloutPlan, '5,150'), 'stage 150 is not a percentage in (0, 100]');
  });
});
