import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StartupScope } from '../../../src/runtime/startup-scope.js';

const never = () => new Promise<never>(() => undefined);

describe('StartupScope', () => {
  it('an abort ends the step under way at once, with its reason, and no further step begins', async () => {
    const controller = new AbortController();
    const scope = new StartupScope(controller.signal);
    const pending = scope.step(never); // a broker that does not answer
    const reason = new Error('SIGTERM during start-up');
    controller.abort(reason);
    await assert.rejects(pending, (error) => error === reason);
    let began = false;
    await assert.rejects(
      scope.step(async () => (began = true)),
      (error) => error === reason,
    );
    assert.equal(began, false);
  });

  it('closes what was opened, last first, each even when one fails; what is opened after is closed at once', async () => {
    const scope = new StartupScope();
    const closed: string[] = [];
    scope.opened(() => closed.push('redis'));
    scope.opened(() => {
      throw new Error('already gone');
    });
    scope.opened(async () => closed.push('consumer'));
    await scope.close();
    assert.deepEqual(closed, ['consumer', 'redis']);
    // An abandoned step that still opens something: nobody else would close it.
    scope.opened(() => closed.push('late'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(closed, ['consumer', 'redis', 'late']);
  });

  it('without an abort, a step gives what it gives, failure included', async () => {
    const controller = new AbortController();
    const scope = new StartupScope(controller.signal);
    assert.equal(await scope.step(async () => 42), 42);
    await assert.rejects(
      scope.step(async () => {
        throw new Error('WRONGPASS');
      }),
      /WRONGPASS/,
    );
    scope.throwIfAborted();
  });
});
