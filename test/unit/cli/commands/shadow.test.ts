import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DURATION_UNIT_NEEDED } from '../../../../src/cli/arguments.js';
import { shadowBounds, sinceOf } from '../../../../src/cli/commands/shadow.js';
import { loadTopology } from '../../../../src/config/index.js';
import { fraudscore } from '../../../support/cli.js';

describe('fraudscore shadow report --since', () => {
  it('takes a duration back from now or an ISO time', () => {
    const before = Date.now();
    const since = sinceOf('24h');
    assert.ok(since >= before - 86_400_000 && since <= Date.now() - 86_400_000 + 1);
    assert.equal(sinceOf('2026-03-01'), Date.UTC(2026, 2, 1));
    assert.equal(sinceOf('2026-03-01T12:00:00Z'), Date.UTC(2026, 2, 1, 12));
  });

  it('refuses an impossible date instead of rolling it over to the next month', () => {
    assert.throws(
      () => sinceOf('2026-02-30'),
      /--since: "2026-02-30" is not on the calendar: February 2026 has no day 30/,
    );
    assert.throws(() => sinceOf('yesterday'), /--since: "yesterday" is neither an ISO time with a zone nor a duration/);
    assert.throws(() => sinceOf('3600'), /--since: "3600" has no unit; give its unit, such as 30m/);
  });
});

describe('fraudscore shadow report: checklist thresholds', () => {
  it('refuses a --min-agreement outside 0..1 or a --min-duration that is no duration, before reading anything', () => {
    for (const [flag, value, expected] of [
      ['--min-agreement <share>', 'lots', 'expected a number from 0 to 1'],
      ['--min-agreement <share>', '1.5', 'expected a number from 0 to 1'],
      ['--min-duration <duration>', 'soon', 'expected a duration such as 30m, 90s, 2h or 1500ms'],
      ['--min-duration <duration>', '24', DURATION_UNIT_NEEDED],
      ['--auc-margin <x>', '2', "expected a number from 0 to 1, the range of the topology's rollout.gates.aucMargin"],
      [
        '--max-alert-rate-delta <x>',
        '-0.1',
        "expected a number from 0 to 1, the range of the topology's rollout.gates.maxAlertRateDelta",
      ],
    ] as const) {
      const { status, stderr } = fraudscore(
        ['shadow', 'report', '-t', 'topologies/card-payments.yaml', flag.split(' ')[0]!, value],
        { env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' } },
      );
      assert.equal(status, 1, stderr);
      assert.ok(stderr.startsWith(`error: option '${flag}' argument '${value}' is invalid. ${expected}\n`), stderr);
    }
  });
});

describe('fraudscore shadow report: models named on the command line', () => {
  it('refuses a --challenger or --champion the registry does not hold before connecting or writing anything', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fraudscore-shadow-')), 'reports');
    for (const [flag, model, expected] of [
      [
        '--challenger',
        'card-fraud@9',
        /^fraudscore: --challenger: model card-fraud@9 is not registered \(versions: 1, 2, 3, 4, 5\)/,
      ],
      ['--champion', 'card-frad@1', /^fraudscore: --champion: no model named card-frad in \S+ \(models: card-fraud\)/],
    ] as const) {
      // Nothing listens on port 1: a refusal naming the flag, not kafka.brokers, came before any connection.
      const { status, stderr } = fraudscore(
        ['shadow', 'report', '-t', 'topologies/card-payments.yaml', flag, model, '--out', out],
        { env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' } },
      );
      assert.equal(status, 1, stderr);
      assert.match(stderr, expected);
      assert.equal(existsSync(out), false);
    }
  });
});

describe('fraudscore shadow report: the bounds a rollout will be started with', () => {
  const topology = loadTopology('topologies/card-payments.yaml');
  const operator = { minDuration: 3_600_000, minAgreement: 0.9 };

  it('judges by the topology’s rollout gates unless the command line gives the rollout’s own', () => {
    const { gates } = topology.rollout;
    const fromTopology = shadowBounds(topology, operator);
    assert.equal(fromTopology.maxAlertRateDelta, gates.maxAlertRateDelta);
    assert.equal(fromTopology.aucMargin, gates.aucMargin);
    assert.equal(fromTopology.minDurationMs, 3_600_000);
    assert.equal(fromTopology.minAgreement, 0.9);
    assert.equal(fromTopology.minLabelled, gates.minLabelled);

    const own = shadowBounds(topology, { ...operator, maxAlertRateDelta: 0.02, aucMargin: 0.04 });
    assert.equal(own.maxAlertRateDelta, 0.02);
    assert.equal(own.aucMargin, 0.04);
    assert.notEqual(gates.aucMargin, 0.04);
  });

  it('takes the flags from the command line under the rollout’s names', () => {
    const { status, stderr } = fraudscore(
      [
        'shadow',
        'report',
        '-t',
        'topologies/card-payments.yaml',
        '--auc-margin',
        '0.04',
        '--challenger',
        'card-fraud@9',
      ],
      { env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' } },
    );
    // Parsed and accepted: the refusal is the next check's (the registry), not the flag's.
    assert.equal(status, 1, stderr);
    assert.match(stderr, /^fraudscore: --challenger: model card-fraud@9 is not registered/);
  });
});
