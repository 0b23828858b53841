import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { closeOnce } from '../../../src/runtime/pipeline-close.js';
import { capturedOutput } from '../../support/captured-output.js';

const settled = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

/** A pipeline's close over steps that record when they run; the runner's stop ends when the test says so. */
function pipelineSteps(runnerStop: () => Promise<void>) {
  const closed: string[] = [];
  const output = capturedOutput();
  const step = (name: string) => ({ name, close: () => void closed.push(name) });
  const close = closeOnce(
    [
      {
        name: 'runner',
        close: async () => {
          await runnerStop();
          closed.push('runner');
        },
      },
      step('control reader'),
      step('serving status'),
      step('redis'),
    ],
    createLogger({ name: 'test', level: 'info', destination: output.stream }),
  );
  return { close, closed, logged: () => output.text() };
}

describe('a running pipeline’s close', () => {
  it('is one close for every caller: a second close() waits for the runner’s drain, and closes nothing twice', async () => {
    let drained!: () => void;
    const drain = new Promise<void>((resolve) => (drained = resolve));
    let stops = 0;
    const { close, closed } = pipelineSteps(() => {
      stops++;
      return drain;
    });
    const bySignal = close();
    const byFatalError = close();
    assert.equal(await settled(byFatalError, 100), false, 'the second close ended while the runner still drains');
    assert.deepEqual(closed, [], 'Redis and the control reader were closed under the draining runner');
    drained();
    await Promise.all([bySignal, byFatalError]);
    assert.equal(stops, 1);
    assert.deepEqual(closed, ['runner', 'control reader', 'serving status', 'redis']);
  });

  it('a runner that fails to stop still leaves the rest closed, logs it, and rejects naming it', async () => {
    const { close, closed, logged } = pipelineSteps(() =>
      Promise.reject(new Error('The group is rebalancing, so a rejoin is needed')),
    );
    await assert.rejects(
      close(),
      /^Error: the pipeline did not close cleanly \(runner: The group is rebalancing, so a rejoin is needed\)$/,
    );
    assert.deepEqual(closed, ['control reader', 'serving status', 'redis']);
    assert.match(logged(), /"step":"runner".*"msg":"could not close; closing the rest"/);
  });
});
