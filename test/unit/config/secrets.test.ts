import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveSecret } from '../../../src/config/secrets.js';

describe('resolveSecret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-secrets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a secret file without its trailing newline', () => {
    const file = join(dir, 'password');
    writeFileSync(file, 's3cret\n');
    assert.equal(resolveSecret({ file }, 'redis.password', {}), 's3cret');
  });

  it('refuses an empty secret file, or one of blanks, naming the field and the file, as an empty variable', () => {
    for (const content of ['', '\n', '  \r\n']) {
      const file = join(dir, 'empty');
      writeFileSync(file, content);
      assert.throws(() => resolveSecret({ file }, 'redis.password', {}), {
        message: `redis.password: secret file ${file} is empty; put the password in it`,
      });
    }
    assert.throws(() => resolveSecret({ env: 'REDIS_PASSWORD' }, 'redis.password', { REDIS_PASSWORD: '' }), {
      message: 'redis.password: environment variable REDIS_PASSWORD is empty; export it or use { file: <path> }',
    });
  });

  it('names the file it cannot read, never a value', () => {
    const file = join(dir, 'missing');
    assert.throws(() => resolveSecret({ file }, 'kafka.sasl.password', {}), {
      message: `kafka.sasl.password: cannot read secret file ${file} (ENOENT); check the path and permissions`,
    });
  });
});
