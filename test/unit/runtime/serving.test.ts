import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../src/adapters/observability/metrics.js';
import {
  EMPTY_VIEW,
  foldControl,
  killSwitchOn,
  nextRecord,
  setBatchWindow,
  startShadow,
  type ControlView,
  type ServingState,
  type Transition,
} from '../../../src/core/control/index.js';
import { Serving } from '../../../src/runtime/serving.js';
import type { ServingModel } from '../../../src/runtime/serving-model.js';

/** A model whose scorer scores every row 0 and counts how often it was closed. */
function fakeModel(ref: string): ServingModel & { closed: number } {
  const [name = '', version = ''] = ref.split('@');
  const model = {
    name,
    version,
    featureSchemaVersion: 'fs',
    closed: 0,
    scorer: {
      score: (_features: Float32Array, rows: number) => Promise.resolve(new Float32Array(rows)),
      close: () => {
        model.closed++;
        return Promise.resolve();
      },
    },
  };
  return model;
}

/** The view after `change` is made to `view`: what the control topic carries next. */
function after(view: ControlView, change: (state: ServingState) => Transition): ControlView {
  const transition = change(view.state);
  assert.ok(transition.ok);
  return foldControl(view, nextRecord(view, 't', transition, { actor: 'test', reason: 'test', nowMs: 0 }), 't');
}

const shadowX = after(EMPTY_VIEW, (state) => startShadow(state, { model: 'x@2', salt: 's', nowMs: 0 }));
const killed = after(shadowX, (state) => killSwitchOn(state, { target: 'm@0', reason: 'drill', nowMs: 0 }));
/** Still names x@2 (a new batch window). */
const windowed = after(shadowX, (state) =>
  setBatchWindow(state, { maxRecords: 200, maxWaitMs: null, minRecords: null }),
);

/**
 * A worker serving m@1, offered `first` and loading x@2 for it until `settle` ends that load (a later load of x@2,
 * and any other model's, loads at once). `loadTimeoutMs` absent: the worker's own time limit.
 */
async function loadingX(first: ControlView, loadTimeoutMs?: number) {
  let settle = { resolve: (_model: ServingModel) => {}, reject: (_error: Error) => {} };
  const slow = new Promise<ServingModel>((resolve, reject) => (settle = { resolve, reject }));
  const loads: string[] = [];
  const serving = new Serving({
    defaults: { champion: 'm@1', window: { maxRecords: 100, maxWaitMs: 100 } },
    initial: fakeModel('m@1'),
    load: (ref) => {
      loads.push(ref);
      return ref === 'x@2' && !loads.slice(0, -1).includes(ref) ? slow : Promise.resolve(fakeModel(ref));
    },
    featureCount: 3,
    log: createLogger({ name: 'test', level: 'silent' }),
    metrics: createPipelineMetrics('t'),
    clock: () => 0,
    ...(loadTimeoutMs === undefined ? {} : { loadTimeoutMs }),
  });
  const offered = serving.offer(first);
  while (!loads.includes('x@2')) await delay(1);
  return { serving, loads, offered, settle };
}

describe('Serving', () => {
  it('refuses a view whose model does not load in time, serves on as before, and applies the next view', async () => {
    const { serving, offered } = await loadingX(shadowX, 20); // never settled: the load hangs
    await offered;
    serving.beforeBatch();
    const refused = serving.status();
    assert.equal(refused.appliedVersion, 0, 'serving stays as it was');
    assert.equal(refused.challenger, null);
    assert.equal(refused.rejected?.version, 1);
    assert.match(refused.rejected?.reason ?? '', /x@2.*within 20 ms/);

    await serving.offer(killed);
    serving.beforeBatch();
    const status = serving.status();
    assert.equal(status.appliedVersion, 2);
    assert.equal(status.killed, true);
    assert.equal(status.decider, 'm@0');
    assert.equal(status.rejected, null, 'a later applied view clears the refusal');
  });

  it('applies a kill switch at the next batch boundary while an older view still waits for its load', async () => {
    const { serving, offered, settle } = await loadingX(shadowX);
    try {
      await Promise.race([
        serving.offer(killed),
        delay(2_000, undefined, { ref: false }).then(() => assert.fail('the kill switch waited for the older load')),
      ]);
      serving.beforeBatch();
      const status = serving.status();
      assert.equal(status.appliedVersion, 2);
      assert.equal(status.killed, true);
      assert.equal(serving.current().plan.decider, 'm@0');
    } finally {
      settle.reject(new Error('stuck filesystem'));
      await offered;
    }
    serving.beforeBatch();
    assert.equal(serving.status().appliedVersion, 2, 'the superseded view is not applied');
    assert.equal(serving.status().rejected, null, 'nor reported as refused: nobody waits for it any more');
  });

  it('drops an older view whose models load after a newer view was offered', async () => {
    const { serving, offered, settle } = await loadingX(shadowX);
    await serving.offer(killed);
    serving.beforeBatch();
    settle.resolve(fakeModel('x@2'));
    await offered;
    serving.beforeBatch();
    const status = serving.status();
    assert.equal(status.appliedVersion, 2, 'the newer view stays applied');
    assert.equal(status.killed, true);
    assert.equal(status.challenger, null);
  });

  it('loads a model once when views offered while it loads name it too', async () => {
    const { serving, loads, offered, settle } = await loadingX(shadowX);
    const newer = serving.offer(windowed);
    settle.resolve(fakeModel('x@2'));
    await Promise.all([offered, newer]);
    serving.beforeBatch();
    assert.deepEqual(loads, ['x@2']);
    assert.equal(serving.status().appliedVersion, 2);
    assert.equal(serving.status().window.maxRecords, 200);
  });

  it('closes a model that loads after the time limit and never serves it; a later view loads it afresh', async () => {
    const { serving, loads, offered, settle } = await loadingX(shadowX, 20);
    await offered;
    assert.equal(serving.status().rejected?.version, 1);

    const late = fakeModel('x@2');
    settle.resolve(late);
    await delay(10);
    assert.equal(late.closed, 1, 'the late session is released');
    assert.throws(() => serving.current().model('x@2'), /not loaded/);

    await serving.offer(windowed);
    serving.beforeBatch();
    assert.deepEqual(loads, ['x@2', 'x@2']);
    assert.equal(serving.status().challenger, 'x@2');
    assert.notEqual(serving.current().model('x@2'), late);
  });
});
