import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { waitFor } from '../../../support/wait-for.js';

/** The helper as the demos run it, built beside this test (dist/src/adapters/process/stop-signals.js). */
const HELPER = new URL('../../../../src/adapters/process/stop-signals.js', import.meta.url).href;

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
  return runScript(script);
}

/** Runs a Node module script with only PATH set, watching what it prints (stdout and stderr, in arrival order). */
function runScript(script: string) {
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

  it(
    'a reader of the output that goes stops the command as a first signal does (SIGPIPE), and it exits 141',
    { timeout: 20_000 },
    async () => {
      const c = tickingToAReader(200);
      try {
        await c.until('tick\n');
        c.running.stdout.destroy();
        assert.deepEqual(await c.exited, [141, null]);
        assert.match(c.printed(), /^(tick\n)+stopped by SIGPIPE, aborted true\nwound down, stopped by SIGPIPE\n$/);
      } finally {
        c.running.kill('SIGKILL');
      }
    },
  );

  it(
    'a signal after the reader went (Ctrl-C at `demo | tee` ends both) is still the first: the wind-down goes on, exit 130',
    { timeout: 20_000 },
    async () => {
      const c = tickingToAReader(1_000);
      try {
        await c.until('tick\n');
        c.running.stdout.destroy();
        await c.until('stopped by SIGPIPE, aborted true\n');
        c.running.kill('SIGINT');
        assert.deepEqual(await c.exited, [130, null]);
        assert.match(c.printed(), /stopped by SIGPIPE, aborted true\nwound down, stopped by SIGINT\n$/);
      } finally {
        c.running.kill('SIGKILL');
      }
    },
  );
});

describe('catchStopSignals after the reader went', () => {
  it(
    'a signal more than a second later is a second stop: it ends the process at once, with its code',
    {
      timeout: 20_000,
    },
    async () => {
      const c = tickingToAReader(10_000);
      try {
        await c.until('tick\n');
        c.running.stdout.destroy();
        await c.until('stopped by SIGPIPE, aborted true\n');
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        c.running.kill('SIGINT');
        assert.deepEqual(await c.exited, [130, null]);
        assert.doesNotMatch(c.printed(), /wound down/);
      } finally {
        c.running.kill('SIGKILL');
      }
    },
  );
});

/**
 * A command that writes a line every 50 ms to its reader; stopped, it reports on stderr (its stdout may have no
 * reader), winds down for `windDownMs`, says what stopped it by then, and exits with that stop's code.
 */
function tickingToAReader(windDownMs: number) {
  return runScript(`
    import { stopQuietlyWhenReaderGoes } from ${JSON.stringify(HELPER.replace(/stop-signals\.js$/, 'broken-pipe.js'))};
    import { catchStopSignals } from ${JSON.stringify(HELPER)};
    stopQuietlyWhenReaderGoes();
    const stop = catchStopSignals();
    const ticks = setInterval(() => process.stdout.write('tick\\n'), 50);
    try {
      await stop.stopped;
    } catch (error) {
      process.stderr.write(\`stopped by \${error.signal}, aborted \${stop.signal.aborted}\\n\`);
      await new Promise((resolve) => setTimeout(resolve, ${windDownMs}));
      clearInterval(ticks);
      process.stderr.write(\`wound down, stopped by \${error.signal}\\n\`);
      process.exit(error.exitCode);
    }`);
}
