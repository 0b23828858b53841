import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fraudscore } from '../../../support/cli.js';

/** Every address where nothing listens: the demos fail at their first connection, with no service needed. */
const NOWHERE = {
  FRAUDSCORE_REDIS_URL: 'redis://127.0.0.1:1',
  FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1',
  FRAUDSCORE_REGISTRY_URL: 'http://127.0.0.1:1/apis/ccompat/v7',
};

describe('fraudscore demo and demo-lifecycle', () => {
  // realpath: the child reports its working directory resolved (macOS's /tmp is a link).
  const elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'fraudscore-demo-cli-')));
  // The demos' own temporary directory (TMPDIR), where a test sees what they leave behind.
  const temp = join(elsewhere, 'tmp');
  mkdirSync(temp);
  const copiesLeft = () => readdirSync(temp).filter((name) => name.startsWith('fraudscore-demo-registry-'));
  after(() => rmSync(elsewhere, { recursive: true, force: true }));

  it('from outside the project root say where the default topology was looked for and the fix, exit 1', () => {
    for (const command of ['demo', 'demo-lifecycle']) {
      const { status, output } = fraudscore([command], { cwd: elsewhere, env: { ...NOWHERE, TMPDIR: temp } });
      assert.equal(status, 1, output);
      assert.equal(
        output.trim(),
        `fraudscore: --topology: no topology file at ${elsewhere}/topologies/card-payments.yaml ` +
          `(topologies/card-payments.yaml, relative to the working directory ${elsewhere}); run from the project ` +
          'root or pass -t <file>',
        command,
      );
    }
  });

  it('demo-lifecycle from outside the project root names the registry it copies, not a bare ENOENT', () => {
    const { status, output } = fraudscore(['demo-lifecycle', '-t', resolve('topologies/card-payments.yaml')], {
      cwd: elsewhere,
      env: { ...NOWHERE, TMPDIR: temp },
    });
    assert.equal(status, 1, output);
    assert.equal(
      output.trim(),
      `fraudscore: the demo copies its models from ${elsewhere}/registry (registry, relative to the working ` +
        `directory ${elsewhere}), which does not exist; run it from the project root`,
    );
    assert.deepEqual(copiesLeft(), []);
  });

  it('demo-lifecycle removes its registry copy when it stops on an error', () => {
    const { status, output } = fraudscore(['demo-lifecycle'], { env: { ...NOWHERE, TMPDIR: temp } });
    assert.equal(status, 1, output);
    assert.match(output, /^fraudscore: redis\.url: cannot connect to Redis at redis:\/\/127\.0\.0\.1:1 /m);
    assert.deepEqual(copiesLeft(), []);
  });

  it('refuse a numeric flag that is not a number in its range before anything starts, naming the flag and range', () => {
    for (const [args, expected] of [
      [['demo', '--days', 'abc'], "error: option '--days <n>' argument 'abc' is invalid. expected an integer >= 1"],
      [
        ['demo', '--invalid-rate', '2'],
        "error: option '--invalid-rate <x>' argument '2' is invalid. expected a number from 0 to 1",
      ],
      [
        ['demo', '--customers', '20000000'],
        'fraudscore: --customers: must be an integer in [1, 10000000], got 20000000',
      ],
      [
        ['demo-lifecycle', '--workers', 'abc'],
        "error: option '--workers <n>' argument 'abc' is invalid. expected an integer from 1 to 2",
      ],
      [
        ['demo-lifecycle', '--workers', '3'],
        "error: option '--workers <n>' argument '3' is invalid. expected an integer from 1 to 2",
      ],
      [['demo-lifecycle', '--days', '4000'], 'fraudscore: --days: must be an integer in [1, 3650], got 4000'],
    ] as const) {
      const { status, stderr } = fraudscore(args, { env: { ...NOWHERE, TMPDIR: temp } });
      assert.equal(status, 1, stderr);
      // Nothing was started: no connection was tried, so no connection error follows.
      assert.equal(stderr.split('\n')[0], expected, args.join(' '));
      assert.doesNotMatch(stderr, /cannot connect/);
    }
    assert.deepEqual(copiesLeft(), []);
  });
});
