import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workerExits, type ClosablePipeline } from '../../../../src/cli/commands/worker-exits.js';

/** A pipeline whose close the test ends (finish / fail), recording its log lines. */
function pipelineStub() {
  const lines: string[] = [];
  let closes = 0;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const closed = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const pipeline: ClosablePipeline = {
    log: {
      info: (_: unknown, msg?: string) => void lines.push(msg ?? String(_)),
      error: (_: unknown, msg?: string) => void lines.push(msg ?? String(_)),
    } as ClosablePipeline['log'],
    close: () => {
      closes++;
      return closed;
    },
  };
  return { pipeline, lines, finish, fail, closes: () => closes };
}

function exitsOf(pipeline: ClosablePipeline) {
  const codes: number[] = [];
  return { exits: workerExits(pipeline, (code) => void codes.push(code)), codes };
}

describe('fraudscore run: how the worker ends', () => {
  it('a signal: flushes, closes, says it stopped cleanly and exits 0', async () => {
    const { pipeline, lines, finish } = pipelineStub();
    const { exits, codes } = exitsOf(pipeline);
    const stopped = exits.stop('SIGTERM');
    assert.equal(exits.stopping, true);
    finish();
    await stopped;
    assert.deepEqual(lines, ['stopping: flushing the open batch', 'stopped cleanly']);
    assert.deepEqual(codes, [0]);
  });

  it('a signal whose close fails: says so and exits 1', async () => {
    const { pipeline, lines, fail } = pipelineStub();
    const { exits, codes } = exitsOf(pipeline);
    const stopped = exits.stop('SIGTERM');
    fail(new Error('runner: coordinator unreachable'));
    await stopped;
    assert.deepEqual(lines, ['stopping: flushing the open batch', 'stopped, but not cleanly']);
    assert.deepEqual(codes, [1]);
  });

  it('a fatal error during the drain: never called a clean stop, exits 1 once the close is done', async () => {
    const { pipeline, lines, finish, closes } = pipelineStub();
    const { exits, codes } = exitsOf(pipeline);
    const stopped = exits.stop('SIGTERM');
    const fatal = exits.fatal(new Error('the last commit failed'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(codes, [], 'exited before the drain ended');
    finish();
    await Promise.all([stopped, fatal]);
    assert.ok(!lines.includes('stopped cleanly'), lines.join(' / '));
    assert.ok(lines.includes('exiting after a fatal error'), lines.join(' / '));
    assert.deepEqual(codes, [1]);
    assert.equal(closes(), 2, 'both ask the one close (closeOnce makes it one)');
  });

  it("a fatal error reported twice (a failed start and the runner's failure): one exit", async () => {
    const { pipeline, lines, finish } = pipelineStub();
    const { exits, codes } = exitsOf(pipeline);
    const first = exits.fatal(new Error('subscribe failed'));
    const second = exits.fatal(new Error('subscribe failed'));
    finish();
    await Promise.all([first, second]);
    assert.deepEqual(codes, [1]);
    assert.equal(lines.filter((line) => line === 'exiting after a fatal error').length, 1);
  });

  it('a second signal during a stop changes nothing', async () => {
    const { pipeline, finish, closes } = pipelineStub();
    const { exits, codes } = exitsOf(pipeline);
    const stopped = exits.stop('SIGTERM');
    await exits.stop('SIGINT');
    finish();
    await stopped;
    assert.deepEqual(codes, [0]);
    assert.equal(closes(), 1);
  });
});
