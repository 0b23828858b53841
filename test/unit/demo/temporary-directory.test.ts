import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signalExitCode, withTemporaryDirectory } from '../../../src/demo/temporary-directory.js';

/** The helper as the lifecycle demo runs it, built beside this test (dist/src/demo/temporary-directory.js). */
const HELPER = new URL('../../../src/demo/temporary-directory.js', import.meta.url).href;
const PREFIX = 'fraudscore-temporary-directory-test-';

/** The process signals the helper listens to, counted: every listener it adds must be gone when `use` settles. */
const listeners = () => ['SIGINT', 'SIGTERM', 'exit'].map((event) => process.listenerCount(event));

/**
 * A Node process that makes a directory through the helper, puts a file in it (so removal has to be recursive),
 * prints its path, and then does what `then` says inside `use`: wait for a signal, or exit on its own.
 */
function child(temp: string, then: 'wait' | 'exit 3') {
  const body = then === 'wait' ? 'await new Promise(() => setInterval(() => undefined, 1_000));' : 'process.exit(3);';
  const script = `
    import { writeFileSync } from 'node:fs';
    import { join } from 'node:path';
    import { withTemporaryDirectory } from ${JSON.stringify(HELPER)};
    await withTemporaryDirectory(${JSON.stringify(PREFIX)}, async (dir) => {
      writeFileSync(join(dir, 'card.json'), '{}');
      process.stdout.write(dir + '\\n');
      ${body}
    });`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env['PATH'] ?? '', TMPDIR: temp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The first line the child prints: the directory it made. */
async function printedDirectory(running: ReturnType<typeof child>): Promise<string> {
  let text = '';
  for await (const chunk of running.stdout) {
    text += String(chunk);
    if (text.includes('\n')) return text.slice(0, text.indexOf('\n'));
  }
  throw new Error(`the child printed no directory (stdout: ${JSON.stringify(text)})`);
}

describe('withTemporaryDirectory', () => {
  // realpath: a child resolves its TMPDIR (macOS's /tmp is a link).
  const temp = realpathSync(mkdtempSync(join(tmpdir(), 'fraudscore-temporary-directory-')));
  after(() => rmSync(temp, { recursive: true, force: true }));

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`removes the directory on ${signal} and still exits as interrupted (${code})`, { timeout: 30_000 }, async () => {
      assert.equal(signalExitCode(signal), code);
      const running = child(temp, 'wait');
      let stderr = '';
      running.stderr.on('data', (chunk) => (stderr += String(chunk)));
      const exited = once(running, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      try {
        const dir = await printedDirectory(running);
        assert.equal(dirname(dir), temp);
        assert.ok(existsSync(join(dir, 'card.json')));
        running.kill(signal);
        const [exitCode, killedBy] = await exited;
        assert.ok(!existsSync(dir), `${dir} left behind`);
        assert.deepEqual(readdirSync(temp), []);
        assert.deepEqual({ exitCode, killedBy }, { exitCode: code, killedBy: null }, stderr);
      } finally {
        running.kill('SIGKILL');
      }
    });
  }

  it('removes the directory when the process exits from inside', { timeout: 30_000 }, async () => {
    const running = child(temp, 'exit 3');
    const exited = once(running, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const dir = await printedDirectory(running);
    const [exitCode] = await exited;
    assert.equal(exitCode, 3);
    assert.ok(!existsSync(dir), `${dir} left behind`);
  });

  it('removes the directory when `use` returns or throws, and leaves no signal listener behind', async () => {
    const before = listeners();
    let made = '';
    const value = await withTemporaryDirectory(PREFIX, async (dir) => {
      made = dir;
      writeFileSync(join(dir, 'card.json'), '{}');
      assert.notDeepEqual(listeners(), before);
      return 'done';
    });
    assert.equal(value, 'done');
    assert.ok(made !== '' && !existsSync(made));
    assert.deepEqual(listeners(), before);

    await assert.rejects(
      withTemporaryDirectory(PREFIX, async (dir) => {
        made = dir;
        throw new Error('the demo stopped');
      }),
      /the demo stopped/,
    );
    assert.ok(!existsSync(made));
    assert.deepEqual(listeners(), before);
  });

  it('with windsDownOnSignal leaves the stop signals to the caller and removes the directory when `use` settles', async () => {
    const [sigint, sigterm, exit] = listeners();
    let made = '';
    await withTemporaryDirectory(
      PREFIX,
      async (dir) => {
        made = dir;
        // Only the exit listener is added: a signal is the caller's to wind down (catchStopSignals).
        assert.deepEqual(listeners(), [sigint, sigterm, (exit ?? 0) + 1]);
      },
      { windsDownOnSignal: true },
    );
    assert.ok(made !== '' && !existsSync(made));
    assert.deepEqual(listeners(), [sigint, sigterm, exit]);
  });
});
