import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fraudscore, startCli } from '../../../support/cli.js';
import { waitFor } from '../../../support/wait-for.js';

const SECRET = 'S3cr3t-in-url';

describe('fraudscore simulate: registry credentials never reach the output', () => {
  const inEnv = { FRAUDSCORE_REGISTRY_URL: `http://svc:${SECRET}@127.0.0.1:1/apis/ccompat/v7` };

  it('--help names the variable a default comes from and never prints its value', () => {
    const { status, output } = fraudscore(['simulate', '--help'], { env: inEnv });
    assert.equal(status, 0, output);
    assert.match(output, /env:\s+FRAUDSCORE_REGISTRY_URL/);
    assert.ok(!output.includes(SECRET), output);
  });

  it('refuses a registry address with credentials from the variable, naming it and the fix', () => {
    const { status, output } = fraudscore(['simulate', '--kafka', '--days', '1'], { env: inEnv });
    assert.equal(status, 1, output);
    assert.match(
      output,
      /^fraudscore: --registry-url \(from FRAUDSCORE_REGISTRY_URL\): no credentials in the address \(found user:password@\).*schemaRegistry\.password: \{ env: NAME \}.*-t <file>$/m,
    );
    assert.ok(!output.includes(SECRET), output);
  });

  it('refuses one given as --registry-url, however URL parsing finds the credentials', () => {
    for (const url of [
      `http://svc:${SECRET}@127.0.0.1:1/apis/ccompat/v7`,
      `http:/\\svc:${SECRET}@127.0.0.1:1/apis/ccompat/v7`,
      ` https://:${SECRET}@127.0.0.1:1/apis/ccompat/v7`,
    ]) {
      const { status, output } = fraudscore(['simulate', '--kafka', '--days', '1', '--registry-url', url]);
      assert.equal(status, 1, output);
      assert.match(output, /^fraudscore: --registry-url: no credentials in the address/m, url);
      assert.ok(!output.includes(SECRET), output);
    }
  });
});

describe('fraudscore simulate: addresses', () => {
  it('refuses a registry address that is not http(s), as topology validation does, naming the flag and the fix', () => {
    const { status, output } = fraudscore([
      'simulate',
      '--kafka',
      '--registry-url',
      'ftp://registry:21/apis/ccompat/v7',
    ]);
    assert.equal(status, 1, output);
    assert.match(output, /^fraudscore: --registry-url: an http:\/\/ or https:\/\/ URL \(found ftp:\): .*e\.g\. http:/m);
  });
});

describe('fraudscore simulate: --start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-simulate-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows its default as an instant it takes back, and takes epoch milliseconds as backfill --from does', () => {
    const help = fraudscore(['simulate', '--help']);
    const shown = /--start <instant>[^(]*\([^)]*\)\s+\(default:\s+(\S+)\)/.exec(help.stdout)?.[1];
    assert.equal(shown, '2026-01-05T00:00:00Z', help.output);
    // Small enough to run in a moment, large enough to hold transactions whose times depend on the start.
    const small = ['--days', '2', '--customers', '100', '--terminals', '100', '--json'];
    const events = (name: string, start: readonly string[]): string => {
      const { status, output } = fraudscore(['simulate', '--out-dir', join(dir, name), ...small, ...start]);
      assert.equal(status, 0, output);
      return readFileSync(join(dir, name, 'events.jsonl'), 'utf8');
    };
    const byDefault = events('default', []);
    assert.ok(byDefault.length > 0);
    assert.equal(events('iso', ['--start', shown]), byDefault);
    assert.equal(events('epoch', ['--start', String(Date.UTC(2026, 0, 5))]), byDefault);
    assert.notEqual(events('later', ['--start', '2026-01-06']), byDefault);
  });

  it('names what it takes when given something else', () => {
    const { status, output } = fraudscore(['simulate', '--out-dir', dir, '--start', 'monday']);
    assert.equal(status, 1, output);
    assert.match(
      output,
      /--start <instant>' argument 'monday' is invalid\. expected an ISO 8601 instant with a zone \(e\.g\. 2026-01-05T00:00:00Z\), a date, or epoch milliseconds/,
    );
  });

  it('refuses a date that is not on the calendar instead of rolling it over, saying what is wrong', () => {
    const { status, output } = fraudscore([
      'simulate',
      '--out-dir',
      '/nonexistent/never-written',
      '--start',
      '2026-02-30',
    ]);
    assert.equal(status, 1, output);
    assert.match(output, /"2026-02-30" is not on the calendar: February 2026 has no day 30 \(it has 28\)/);
  });

  it('states the range of an instant out of range as dates, with the epoch milliseconds it takes too', () => {
    const { status, stderr } = fraudscore([
      'simulate',
      '--out-dir',
      '/nonexistent/never-written',
      '--start',
      '1990-01-01',
    ]);
    assert.equal(status, 1, stderr);
    assert.equal(
      stderr,
      'fraudscore: --start: must be an instant from 2000-01-01T00:00:00.000Z to 2100-01-01T00:00:00.000Z (whole ' +
        'epoch ms 946684800000 to 4102444800000), got 1990-01-01T00:00:00.000Z (631152000000)\n',
    );
  });
});

describe('fraudscore simulate: traffic in the future', () => {
  it('is refused before anything is written, naming the flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudscore-simulate-future-'));
    try {
      const out = join(dir, 'never-written');
      const { status, stderr } = fraudscore(['simulate', '--out-dir', out, '--start', '2099-01-01', '--days', '5']);
      assert.equal(status, 1, stderr);
      assert.match(stderr, /^fraudscore: --start 2099-01-01T00:00:00\.000Z with --days 5 runs to 2099-01-06/);
      assert.match(stderr, /ABSURD_TIMESTAMP/);
      assert.throws(() => readFileSync(join(out, 'events.jsonl')), { code: 'ENOENT' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fraudscore simulate: a run that generates nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-simulate-empty-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails naming the cause and the flag to change instead of reporting 0 transactions', () => {
    // Seed 42 (the default): none of 5 customers has one of 5 terminals within reach on the map.
    for (const json of [[], ['--json']]) {
      const out = join(dir, `no-terminal${json.length}`);
      const args = ['simulate', '--out-dir', out, '--customers', '5', '--terminals', '5', '--days', '5', ...json];
      const { status, stdout, stderr } = fraudscore(args);
      assert.equal(status, 1, stderr);
      assert.equal(stdout, '');
      assert.match(
        stderr,
        /^fraudscore: no transaction generated: no customer has a terminal in reach \(--customers 5, --terminals 5\), .*; give more --terminals \(from about 300, .*\); no record was written \(.*events\.jsonl, .*labels\.jsonl\)$/m,
      );
    }
  });

  it('tells customers in reach that made no payment apart, and names --days', () => {
    const args = ['simulate', '--out-dir', join(dir, 'no-payment'), '--customers', '10', '--terminals', '10'];
    const { status, stderr } = fraudscore([...args, '--days', '1']);
    assert.equal(status, 1, stderr);
    assert.match(
      stderr,
      /^fraudscore: no transaction generated: only 1 of the 10 customers has a terminal in reach, and made no payment in 1 day .*; give more --days or --customers/m,
    );
  });

  it('still writes a small population that has terminals in reach', () => {
    const out = join(dir, 'small');
    const args = ['simulate', '--out-dir', out, '--customers', '20', '--terminals', '40', '--days', '5', '--json'];
    const { status, stdout, output } = fraudscore(args);
    assert.equal(status, 0, output);
    assert.equal((JSON.parse(stdout) as { transactions: number }).transactions, 41);
    assert.equal(readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').length, 41);
  });
});

/** `simulate` refuses `flag` with `value` while reading the command line: commander's line, the range in words. */
function assertRefusedWhileParsing(flag: string, value: string, expected: string): void {
  const { status, stderr } = fraudscore([
    'simulate',
    '--out-dir',
    '/nonexistent/never-written',
    flag.split(' ')[0]!,
    value,
  ]);
  assert.equal(status, 1, stderr);
  assert.equal(stderr.split('\n')[0], `error: option '${flag}' argument '${value}' is invalid. ${expected}`);
}

describe('fraudscore simulate: numeric flags', () => {
  it('are refused while the command line is read when not a number in range, naming the flag and the range', () => {
    for (const [flag, value, expected] of [
      ['--days <n>', 'abc', 'expected an integer >= 1'],
      ['--partitions <n>', '0', 'expected an integer >= 1'],
      ['--invalid-rate <p>', '2', 'expected a number from 0 to 1'],
      ['--drift-amount-factor <x>', '0', 'expected a number > 0'],
    ] as const) {
      assertRefusedWhileParsing(flag, value, expected);
    }
  });

  it("are checked against the generator's ranges before anything is written, naming the flag", () => {
    const { status, stderr } = fraudscore(['simulate', '--out-dir', '/nonexistent/never-written', '--days', '4000']);
    assert.equal(status, 1, stderr);
    assert.equal(stderr.trim(), 'fraudscore: --days: must be an integer in [1, 3650], got 4000');
  });
});

describe('fraudscore simulate: label delays', () => {
  it('state their bounds in the unit of the flag, naming it', () => {
    for (const [flag, value, expected] of [
      ['--label-delay-max-days <d>', '30', 'expected a number from 0 to 7'],
      ['--label-delay-min-hours <h>', '200', 'expected a number from 0 to 168'],
    ] as const) {
      assertRefusedWhileParsing(flag, value, expected);
    }
    const { status, stderr } = fraudscore([
      'simulate',
      '--out-dir',
      '/nonexistent/never-written',
      '--label-delay-min-hours',
      '48',
      '--label-delay-max-days',
      '1',
    ]);
    assert.equal(status, 1, stderr);
    assert.match(
      stderr,
      /^fraudscore: --label-delay-max-days: 1 days \(24 h\) is shorter than --label-delay-min-hours 48/,
    );
    assert.doesNotMatch(stderr, /labelDelay|000000/);
  });
});

describe('fraudscore simulate: flags that would be ignored', () => {
  it('are refused by name instead', () => {
    for (const [args, expected] of [
      [
        ['--out-dir', '/nonexistent/never-written', '-t', 'topologies/card-payments.yaml', '--rate', '5'],
        'fraudscore: -t/--topology and --rate apply only with --kafka, not to files (--out-dir): remove them, or ' +
          'produce to Kafka with --kafka',
      ],
      [
        ['--kafka', '-t', 'topologies/card-payments.yaml', '--brokers', '127.0.0.1:1', '--topic', 'elsewhere'],
        "fraudscore: --brokers and --topic: with -t the topology's are used: remove them, or drop -t",
      ],
      [
        ['--out-dir', '/nonexistent/never-written', '--drift', 'amount-shift', '--drift-from-day', '99', '--days', '2'],
        'fraudscore: --drift-from-day: day 99 is not simulated (--days 2 runs days 0 to 1): give a day below 2, or ' +
          'more --days',
      ],
    ] as const) {
      // Nothing listens at these addresses: a command that went on would fail on connecting instead.
      const { status, stderr } = fraudscore(['simulate', ...args], {
        env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1', FRAUDSCORE_REGISTRY_URL: 'http://127.0.0.1:1/apis/ccompat/v7' },
      });
      assert.equal(status, 1, stderr);
      assert.equal(stderr.trim(), expected);
    }
  });

  it('an address from the environment is no flag typed: files are written with it set', () => {
    const { status, output } = fraudscore(['simulate', '--out-dir', '/nonexistent/never-written', '--days', '4000'], {
      env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' },
    });
    // Refused for its --days alone.
    assert.equal(status, 1, output);
    assert.equal(output.trim(), 'fraudscore: --days: must be an integer in [1, 3650], got 4000');
  });
});

describe('fraudscore simulate: stopped mid-run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-simulate-stopped-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`by ${signal}: removes its partial files, says so, and exits ${code}`, async () => {
      const out = join(dir, signal);
      // 200 days of 5,000 customers: tens of seconds of writing, so the signal comes while the files grow.
      const simulate = startCli(['simulate', '--out-dir', out, '--days', '200', '--customers', '5000']);
      try {
        await waitFor(
          'the partial events file',
          () => Promise.resolve(existsSync(join(out, 'events.jsonl.partial')) ? true : undefined),
          30_000,
        );
        simulate.child.kill(signal);
        assert.equal(await simulate.exited, code, simulate.output());
        assert.match(simulate.output(), new RegExp(`\\nsimulate: interrupted \\(${signal}\\): no file written\\n$`));
        assert.deepEqual(readdirSync(out), []);
      } finally {
        simulate.child.kill('SIGKILL');
      }
    });
  }
});
