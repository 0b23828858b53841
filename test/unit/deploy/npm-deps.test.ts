import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

/**
 * deploy/local/npm-deps.sh, the first step of `npm test` and `npm run demo`, in a copy of the repository's layout with
 * an `npm` on PATH that records its calls and installs nothing (the real `npm ci` is what every CI run does anyway).
 */
describe('npm dependencies on a fresh clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-npm-deps-'));
  const bin = join(dir, 'bin');
  const calls = join(dir, 'npm-calls');
  mkdirSync(join(dir, 'deploy', 'local'), { recursive: true });
  mkdirSync(bin);
  copyFileSync('deploy/local/npm-deps.sh', join(dir, 'deploy', 'local', 'npm-deps.sh'));
  writeFileSync(join(dir, 'package-lock.json'), '{}\n');
  // What `npm ci` leaves behind that the script looks at: node_modules/.package-lock.json, written now.
  writeFileSync(
    join(bin, 'npm'),
    `#!/bin/sh\necho "$*" >> '${calls}'\nmkdir -p node_modules && echo '{}' > node_modules/.package-lock.json\n`,
  );
  chmodSync(join(bin, 'npm'), 0o755);

  after(() => rmSync(dir, { recursive: true, force: true }));

  function bootstrap(): { stdout: string; npm: string[] } {
    rmSync(calls, { force: true });
    const stdout = execFileSync('bash', [join(dir, 'deploy', 'local', 'npm-deps.sh'), 'test'], {
      cwd: tmpdir(),
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
      encoding: 'utf8',
    });
    const npm = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [];
    return { stdout, npm };
  }

  it('npm test runs it before anything that needs node_modules', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts['test'] ?? '', /^bash deploy\/local\/npm-deps\.sh test && .*npm run build/);
    assert.match(readFileSync('deploy/local/demo.sh', 'utf8'), /npm-deps\.sh/);
  });

  it('installs when node_modules is missing, says so, and then does nothing while the lock is unchanged', () => {
    const first = bootstrap();
    assert.deepEqual(first.npm, ['ci --no-audit --no-fund']);
    assert.match(first.stdout, /^test: installing npm dependencies \(npm ci\)/);
    const second = bootstrap();
    assert.deepEqual(second.npm, []);
    assert.equal(second.stdout, '');
  });

  it('reinstalls when package-lock.json changed since the last install', () => {
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'package-lock.json'), future, future);
    const run = bootstrap();
    assert.deepEqual(run.npm, ['ci --no-audit --no-fund']);
    assert.match(run.stdout, /package-lock\.json changed since the last install; reinstalling/);
  });
});
