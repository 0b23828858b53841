import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeDirectories } from '../../../../src/adapters/files/make-directories.js';

const root = mkdtempSync(join(tmpdir(), 'fraudscore-mkdir-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('makeDirectories', () => {
  it('makes every missing level, and is content with a directory already there', () => {
    const deep = join(root, 'a', 'b', 'c');
    makeDirectories(deep);
    assert.ok(statSync(deep).isDirectory());
    makeDirectories(deep);
    makeDirectories(join(root, 'a'));
    assert.ok(statSync(deep).isDirectory());
  });

  it('refuses a file in the way with the file system’s own error', () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    assert.throws(() => makeDirectories(file), { code: 'EEXIST' });
    assert.throws(() => makeDirectories(join(file, 'below')), { code: 'ENOTDIR' });
  });

  it('fails, instead of retrying forever, where the file system refuses a directory under an existing parent', () => {
    // Node's recursive mkdir spins on /proc/x without returning, so the call runs in a child process with a timeout.
    const module = fileURLToPath(new URL('../../../../src/adapters/files/make-directories.js', import.meta.url));
    const script =
      `const { makeDirectories } = await import(${JSON.stringify(module)});` +
      `try { makeDirectories('/proc/fraudscore-no-such-dir/below'); console.log('made'); }` +
      `catch (error) { console.log(error.code); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(child.signal, null, 'the call did not return within 20 s');
    assert.equal(child.stdout.trim(), 'ENOENT');
  });
});
