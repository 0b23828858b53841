import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createProgress, PLAIN_PROGRESS_INTERVAL_MS } from '../../../../src/adapters/observability/progress.js';

function capture(isTTY: boolean): { stream: PassThrough & { isTTY: boolean }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('progress output', () => {
  it('off a terminal: a plain line at most every interval and one at the end, no carriage returns', () => {
    const { stream, text } = capture(false);
    let now = 0;
    const progress = createProgress<{ events: number }>({
      stream,
      bar: 'x [{bar}] {percentage}%',
      line: (value, total, p) => `work: ${value}/${total}, ${p.events} events`,
      clock: () => now,
    });
    // 60 updates over 30 s, one per 500 ms.
    for (let i = 1; i <= 60; i++) {
      progress.update(i, 60, { events: i * 10 });
      now += 500;
    }
    progress.stop();
    const lines = text().split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    assert.equal(lines[0], 'work: 1/60, 10 events');
    assert.equal(lines.at(-1), 'work: 60/60, 600 events');
    // Printed at 0, 5, 10, 15, 20 and 25 s, then the final state at stop.
    assert.equal(PLAIN_PROGRESS_INTERVAL_MS, 5_000);
    assert.equal(lines.length, 7);
    assert.ok(!text().includes('\r') && !text().includes('\u001b'), 'no carriage return, no escape sequence');
  });

  it('off a terminal: stop prints nothing more when the last state was printed, or when nothing happened', () => {
    const { stream, text } = capture(false);
    const progress = createProgress<object>({ stream, bar: '', line: (v) => `at ${v}`, clock: () => 0 });
    progress.stop();
    assert.equal(text(), '');
    progress.update(1, 2, {});
    progress.stop();
    assert.equal(text(), 'at 1\n');
  });

  it('at a terminal: a cli-progress bar, redrawn in place', () => {
    const { stream, text } = capture(true);
    const progress = createProgress<{ events: number }>({
      stream,
      bar: 'work [{bar}] {percentage}% | {events} events',
      line: () => assert.fail('no plain lines at a terminal'),
    });
    progress.update(1, 4, { events: 10 });
    progress.update(4, 4, { events: 40 });
    progress.stop();
    assert.match(text(), /work \[[█░]+\] 100% \| 40 events/);
    assert.ok(text().includes('\u001b['), 'cursor control: the line is redrawn, not appended');
  });
});
