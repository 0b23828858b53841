import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import {
  EXIT_READER_GONE,
  stopQuietlyWhenReaderGoes,
  windDownWhenReaderGoes,
} from '../../../../src/adapters/process/broken-pipe.js';
import { CLI } from '../../../support/cli.js';

/**
 * Runs the built CLI with its stdout a pipe whose reader has gone: the test closes its end before the child has
 * started, so the child's first write fails with EPIPE every time. (A reader that goes after the first line, as
 * `| head -1` does, sees the same failure only when it wins a race against the child's next write.)
 */
function withReaderGone(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('the CLI when the reader of its output has gone', () => {
  for (const args of [
    ['models', 'list', '--registry', 'registry'],
    ['topology', 'schema'],
  ]) {
    it(`${args.join(' ')}: stops quietly with the status of a tool killed by SIGPIPE`, async () => {
      const { status, stderr } = await withReaderGone(args);
      assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
      assert.equal(stderr, '');
      assert.equal(status, EXIT_READER_GONE);
    });
  }
});

describe('stopQuietlyWhenReaderGoes', () => {
  const failure = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`write ${code}`), { code });

  it('exits 141 on EPIPE', () => {
    const stream = new EventEmitter();
    const exits: number[] = [];
    stopQuietlyWhenReaderGoes([stream as NodeJS.WriteStream], (code) => exits.push(code));
    stream.emit('error', failure('EPIPE'));
    assert.deepEqual(exits, [141]);
  });

  it('leaves any other write error loud', () => {
    const stream = new EventEmitter();
    const exits: number[] = [];
    stopQuietlyWhenReaderGoes([stream as NodeJS.WriteStream], (code) => exits.push(code));
    assert.throws(() => stream.emit('error', failure('ENOSPC')), /write ENOSPC/);
    assert.deepEqual(exits, []);
  });

  it('while a command winds down on its own, EPIPE calls its wind-down instead; after the release it exits 141', () => {
    const stream = new EventEmitter();
    const exits: number[] = [];
    let windDowns = 0;
    stopQuietlyWhenReaderGoes([stream as NodeJS.WriteStream], (code) => exits.push(code));
    const release = windDownWhenReaderGoes(() => windDowns++);
    stream.emit('error', failure('EPIPE'));
    stream.emit('error', failure('EPIPE'));
    assert.deepEqual({ windDowns, exits }, { windDowns: 2, exits: [] });
    release();
    stream.emit('error', failure('EPIPE'));
    assert.deepEqual({ windDowns, exits }, { windDowns: 2, exits: [141] });
  });
});
