import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { silentServer, within } from '../../../support/silent-server.js';

describe('fraudscore run: SIGTERM during start-up', () => {
  it('ends start-up at once and exits 0, instead of waiting out the grace period', async () => {
    // A Redis that never answers holds start-up at its Redis step, after the model is loaded.
    const redis = await silentServer();
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'run', '-t', 'topologies/card-payments.yaml'], {
      env: { PATH: process.env['PATH'] ?? '', FRAUDSCORE_REDIS_URL: `redis://127.0.0.1:${redis.port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await within(
        Promise.race([redis.connected, exited.then(() => assert.fail(`exited before connecting to Redis\n${output}`))]),
        30_000,
        'start-up reaching Redis',
      );
      const sentAt = Date.now();
      child.kill('SIGTERM');
      const [code, signal] = await within(exited, 10_000, `exit after SIGTERM\n${output}`);
      // Not PID 1 here, so an unhandled SIGTERM kills the process (there, node would ignore it).
      assert.equal(signal, null, `killed by ${signal}: the SIGTERM was not handled\n${output}`);
      assert.equal(code, 0, output);
      assert.ok(Date.now() - sentAt < 5_000, `exited ${Date.now() - sentAt} ms after the SIGTERM`);
      assert.match(output, /"reason":"SIGTERM during start-up","msg":"stopped during start-up; nothing was consumed"/);
    } finally {
      child.kill('SIGKILL');
      await redis.close();
    }
  });
});
