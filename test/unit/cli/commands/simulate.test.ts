import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const SECRET = 'S3cr3t-in-url';

/** Runs the built CLI with only PATH and `env` set: what a person at a terminal would see on stdout and stderr. */
function fraudscore(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: 30_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('fraudscore simulate: registry credentials never reach the output', () => {
  const inEnv = { FRAUDSCORE_REGISTRY_URL: `http://svc:${SECRET}@127.0.0.1:1/apis/ccompat/v7` };

  it('--help names the variable a default comes from and never prints its value', () => {
    const { status, output } = fraudscore(['simulate', '--help'], inEnv);
    assert.equal(status, 0, output);
    assert.match(output, /env:\s+FRAUDSCORE_REGISTRY_URL/);
    assert.ok(!output.includes(SECRET), output);
  });

  it('refuses a registry address with credentials from the variable, naming it and the fix', () => {
    const { status, output } = fraudscore(['simulate', '--kafka', '--days', '1'], inEnv);
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
});
