import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { waitFor } from '../../support/wait-for.js';

/** The helper as the demos run it, built beside this test (dist/src/demo/stop-signals.js). */
const HELPER = new URL('../../../src/demo/stop-signals.js', import.meta.url).href;

/**
 * A Node process that catches the stop signals, prints `ready`, and on the first one prints what it got and then
 * winds down as `windDown` says: for 200 ms, for ever, or not at all because it released the signals first.
 */
function child(windDown: 'brief' | 'forever' | 'released') {
  const script = `
    import { catchStopSignals } from ${JSON.stringify(HELPER)};
    const stop = catchStopSignals();
    ${windDown === 'released' ? 'stop.release();' : ''}
    setInterval(() => undefined, 1_000);
    process.stdout.write('ready\\n');
    try {
      await stop.stopped;
    } catch (error) {
      process.stdout.write(\`stopped by \${error.signal}, aborted \${stop.signal.aborted}\\n\`);
      await new Promise((resolve) => ${windDown === 'brief' ? 'setTimeout(resolve, 200)' : 'undefined'});
      process.stdout.write('wound down\\n');
      process.exit(error.exitCode);
    }`;
  const running = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  running.stdout.on('data', (chunk) => (printed += String(chunk)));
  running.stderr.on('data', (chunk) => (printed += String(chunk)));
  const exited = once(running, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const until = async (text: string): Promise<void> => {
    await waitFor(`"${text}" printed`, () => Promise.resolve(printed.includes(text) ? true : undefined), 10_000);
  };
  return { running, exited, until, printed: () => printed };
}

describe('catchStopSignals', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`the first ${signal} rejects stopped and aborts signal; the process winds down, then exits ${code}`, async () => {
      const c = child('brief');
      await c.until('ready\n');
      c.running.kill(signal);
      assert.deepEqual(await c.exited, [code, null]);
      assert.equal(c.printed(), `ready\nstopped by ${signal}, aborted true\nwound down\n`);
    });
  }

  it('a second signal during the wind-down ends the process at once, with its code', async () => {
    const c = child('forever');
    await c.until('ready\n');
    c.running.kill('SIGTERM');
    await c.until('stopped by SIGTERM');
    c.running.kill('SIGINT');
    assert.deepEqual(await c.exited, [130, null]);
    assert.doesNotMatch(c.printed(), /wound down/);
  });

  it("after release(), a signal ends the process on the spot as Node's own handling does", async () => {
    const c = child('released');
    await c.until('ready\n');
    c.running.kill('SIGINT');
    assert.deepEqual(await c.exited, [null, 'SIGINT']);
    assert.equal(c.printed(), 'ready\n');
  });
});
