import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatorPort } from '../../../../src/cli/commands/evaluate.js';
import { fraudscore } from '../../../support/cli.js';
import { occupiedPort } from '../../../support/occupied-port.js';

describe('fraudscore evaluate: its metrics port', () => {
  it("is the one after the worker's by default, and stays any free port (0) when the worker's is", () => {
    assert.equal(evaluatorPort(9464, undefined), 9465);
    assert.equal(evaluatorPort(0, undefined), 0);
    assert.equal(evaluatorPort(9464, 0), 0);
    assert.equal(evaluatorPort(9464, 9600), 9600);
  });

  it('asks for --metrics-port when the worker has the last port', () => {
    assert.throws(
      () => evaluatorPort(65_535, undefined),
      /^Error: --metrics-port: the topology's metrics\.port is 65535, with no port after it for the evaluator; pass --metrics-port <port>/,
    );
  });

  it('refuses a --metrics-port that is no port while the command line is read, naming the flag and the range', () => {
    for (const bad of ['abc', '-1', '70000']) {
      const { status, stderr } = fraudscore(
        ['evaluate', '-t', 'topologies/card-payments.yaml', '--metrics-port', bad],
        {
          env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' },
        },
      );
      assert.equal(status, 1, stderr);
      assert.match(
        stderr,
        new RegExp(
          `^error: option '--metrics-port <port>' argument '${bad}' is invalid\\. expected an integer from 0 to 65535$`,
          'm',
        ),
      );
    }
  });
});

describe('fraudscore evaluate: a metrics port another process holds', () => {
  it('fails before reading anything, naming --metrics-port and the fix', async () => {
    await occupiedPort(async (port) => {
      const { status, stderr } = fraudscore(
        ['evaluate', '-t', 'topologies/card-payments.yaml', '--metrics-port', String(port)],
        { env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' } },
      );
      assert.equal(status, 1, stderr);
      assert.equal(
        stderr,
        `fraudscore: --metrics-port: 127.0.0.1:${port} is already in use (EADDRINUSE): another process listens there, ` +
          "perhaps another worker on this host or the evaluator (the port after the worker's); set --metrics-port " +
          "(default: the topology's metrics.port + 1) to a free port (0 takes any free one), or stop the process " +
          'that holds it\n',
      );
    });
  });
});

describe('fraudscore report evaluation --timeout', () => {
  it('refuses what is neither seconds nor a duration above 0, before reading anything', () => {
    for (const bad of ['abc', '0', '-5', '0s']) {
      const { status, stderr } = fraudscore(
        ['report', 'evaluation', '-t', 'topologies/card-payments.yaml', '--timeout', bad],
        { env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' } },
      );
      assert.equal(status, 1, stderr);
      assert.match(
        stderr,
        new RegExp(
          `^error: option '--timeout <seconds>' argument '${bad}' is invalid\\. expected seconds \\(a number > 0 and <= 2147483\\) ` +
            'or a duration such as 90s or 2m$',
          'm',
        ),
      );
    }
  });
});
