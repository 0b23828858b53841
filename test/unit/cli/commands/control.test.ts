import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fraudscore } from '../../../support/cli.js';

describe('fraudscore control set', () => {
  it('refuses a mistyped key at once, naming it and the settable ones, before connecting to Kafka', () => {
    // Nothing listens at 127.0.0.1:1: a command that connected first would fail naming kafka.brokers instead.
    const { status, stderr } = fraudscore(
      ['control', 'set', '-t', 'topologies/card-payments.yaml', 'batch.maxRecrods=500'],
      { env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' } },
    );
    assert.equal(status, 1, stderr);
    assert.equal(
      stderr,
      'fraudscore: unknown setting "batch.maxRecrods"; settable: batch.maxRecords, batch.maxWaitMs, batch.minRecords\n',
    );
  });

  it('refuses a value outside the batch window limits the same way', () => {
    const { status, stderr } = fraudscore(
      ['control', 'set', '-t', 'topologies/card-payments.yaml', 'batch.maxRecords=5'],
      { env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' } },
    );
    assert.equal(status, 1, stderr);
    assert.match(stderr, /^fraudscore: batch\.maxRecords: .*100\n$/);
  });
});

describe('a change with --wait', () => {
  it('refuses a value that is no number of seconds, saying where --wait alone goes', () => {
    const env = { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' };
    const before = fraudscore(
      ['control', 'set', '-t', 'topologies/card-payments.yaml', '--wait', 'batch.maxRecords=500'],
      {
        env,
      },
    );
    assert.equal(before.status, 1, before.stderr);
    assert.equal(
      before.stderr.split('\n')[0],
      "error: option '--wait [seconds]' argument 'batch.maxRecords=500' is invalid. expected seconds (a number > 0 " +
        "and <= 3600) or a duration such as 90s; --wait alone (60 s) goes after the command's other arguments, or " +
        'write --wait=60',
    );
    const range = fraudscore(
      ['kill-switch', 'on', '-t', 'topologies/card-payments.yaml', '--reason', 'r', '--wait', '0'],
      {
        env,
      },
    );
    assert.equal(range.status, 1, range.stderr);
    assert.match(
      range.stderr,
      /argument '0' is invalid\. expected seconds \(a number > 0 and <= 3600\) or a duration such as 90s or 2m\n/,
    );
  });
});

describe('a change with a blank --reason or --actor', () => {
  it('is refused while the command line is read, before connecting to Kafka', () => {
    for (const args of [
      ['kill-switch', 'on', '--reason', ''],
      ['kill-switch', 'on', '--reason', '   '],
      ['rollout', 'pause', '--reason', ''],
      ['kill-switch', 'off', '--reason', 'fixed', '--actor', ' '],
    ]) {
      const { status, stderr } = fraudscore([...args, '-t', 'topologies/card-payments.yaml'], {
        env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' },
      });
      assert.equal(status, 1, stderr);
      const flag = args.includes('--actor') ? '--actor <who>' : '--reason <text>';
      assert.match(
        stderr.split('\n')[0] ?? '',
        new RegExp(`^error: option '${flag}' argument '.*' is invalid\\. must not be empty: say it in a few words$`),
        args.join(' '),
      );
    }
  });
});
