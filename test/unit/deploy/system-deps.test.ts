import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

/**
 * deploy/local/system-deps.sh, a step of `npm test` before the build: on a PATH holding only what each case puts
 * there, with an `apt-get` (and a `sudo`) that record their calls and install nothing.
 */
describe('Debian packages the tests need, on a fresh machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-system-deps-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let cases = 0;

  function run(present: readonly string[], withApt = true): { stdout: string; apt: string[] } {
    const bin = join(dir, `bin-${++cases}`);
    const calls = join(dir, `apt-calls-${cases}`);
    mkdirSync(bin);
    symlinkSync(execFileSync('bash', ['-c', 'command -v id'], { encoding: 'utf8' }).trim(), join(bin, 'id'));
    const tool = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    if (withApt) tool('apt-get', `echo "$*" >> '${calls}'`);
    tool('sudo', 'exec "$@"');
    for (const name of present) tool(name, 'exit 0');
    const stdout = execFileSync('/bin/bash', ['deploy/local/system-deps.sh', 'test'], {
      env: { PATH: bin },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const apt = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [];
    return { stdout, apt };
  }

  it('npm test runs it before the build', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts['test'] ?? '', /&& bash deploy\/local\/system-deps\.sh test && npm run build/);
  });

  it('installs Prometheus and Chromium when neither is there, and says so', () => {
    const { stdout, apt } = run([]);
    assert.deepEqual(apt, ['update -qq', 'install -y -qq --no-install-recommends prometheus chromium']);
    assert.match(stdout, /^test: installing Debian packages the tests need: prometheus chromium/);
  });

  it('installs only what is missing: prometheus without its promtool counts as missing', () => {
    assert.deepEqual(run(['prometheus', 'chromium']).apt, [
      'update -qq',
      'install -y -qq --no-install-recommends prometheus',
    ]);
    assert.deepEqual(run(['prometheus', 'promtool']).apt, [
      'update -qq',
      'install -y -qq --no-install-recommends chromium',
    ]);
  });

  it('without apt-get, fails naming what to install', () => {
    assert.throws(
      () => run(['chromium'], false),
      (error: Error & { status?: number; stderr?: string }) =>
        error.status === 1 && /need prometheus .*no apt-get.*package manager/s.test(error.stderr ?? ''),
    );
  });

  it('does nothing, silently, when everything is there', () => {
    const { stdout, apt } = run(['prometheus', 'promtool', 'chromium']);
    assert.deepEqual(apt, []);
    assert.equal(stdout, '');
  });
});
