import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fraudscore } from '../../../support/cli.js';
import { runChange } from '../../../../src/cli/commands/control.js';
import { INITIAL_SERVING_STATE, type ControlRecord } from '../../../../src/core/control/index.js';
import { registryChampionNotSet } from '../../../../src/lifecycle/operations.js';

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

describe('a change written whose second half failed (rollout promote, the registry not updated)', () => {
  const record: ControlRecord = {
    format: 1,
    topology: 'card-payments',
    version: 7,
    atMs: 0,
    actor: 'ops@host',
    reason: 'gates held',
    change: { kind: 'rollout-promote', details: { model: 'card-fraud@2' } },
    state: { ...INITIAL_SERVING_STATE, champion: 'card-fraud@2' },
  };

  it('prints the record written and how to finish it, then fails saying the change is live', async () => {
    const printed: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => printed.push(chunk) > 0) as typeof process.stdout.write;
    let failure: unknown;
    try {
      await runChange({ topology: 'topologies/card-payments.yaml', reason: 'gates held' }, () =>
        Promise.reject(registryChampionNotSet(record, 'registry', 'EACCES: registry/index.json is read-only')),
      );
    } catch (error) {
      failure = error;
    } finally {
      process.stdout.write = write;
    }
    assert.deepEqual(printed.join('').split('\n').slice(0, 2), [
      'written: v7 1970-01-01T00:00:00.000Z rollout-promote by ops@host: gates held {"model":"card-fraud@2"}',
      "note: the registry's champion was not set (EACCES: registry/index.json is read-only); finish the promotion " +
        'with: fraudscore models promote card-fraud@2 --registry registry',
    ]);
    assert.ok(failure instanceof Error, 'the command fails (exit 1)');
    assert.equal(
      failure.message,
      "the promotion of card-fraud@2 is live (control version 7: every worker applies it), but the registry's " +
        'champion was not updated; run the `fraudscore models promote` command printed above',
    );
  });

  it('a change refused before it is written still fails with its reason alone, printing nothing', async () => {
    const printed: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => printed.push(chunk) > 0) as typeof process.stdout.write;
    try {
      await assert.rejects(
        runChange({ topology: 'topologies/card-payments.yaml', reason: 'r' }, () =>
          Promise.reject(new Error('no challenger to promote')),
        ),
        /^Error: no challenger to promote$/,
      );
    } finally {
      process.stdout.write = write;
    }
    assert.deepEqual(printed, []);
  });
});
