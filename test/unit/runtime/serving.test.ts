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
  promoteRollout,
  rollbackRollout,
  setBatchWindow,
  setChampion,
  startRollout,
  startShadow,
  stopShadow,
  type ControlView,
  type ServingState,
  type Transition,
} from '../../../src/core/control/index.js';
import { capturedOutput } from '../../support/captured-output.js';
import { Serving } from '../../../src/runtime/serving.js';
import type { ServingModel } from '../../../src/runtime/serving-model.js';
import { fakeServingModel, type FakeServingModel } from '../../support/fake-serving-model.js';

/** The view after `change` is made to `view`: what the control topic carries next. */
function after(view: ControlView, change: (state: ServingState) => Transition): ControlView {
  const transition = change(view.state);
  assert.ok(transition.ok);
  return foldControl(view, nextRecord(view, 't', transition, { actor: 'test', reason: 'test', nowMs: 0 }), 't');
}

const shadowX = after(EMPTY_VIEW, (state) =>
  startShadow(state, { model: 'x@2', champion: 'm@1', salt: 's', nowMs: 0 }),
);
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
    initial: fakeServingModel('m@1'),
    load: (ref) => {
      loads.push(ref);
      return ref === 'x@2' && !loads.slice(0, -1).includes(ref) ? slow : Promise.resolve(fakeServingModel(ref));
    },
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

  it('exports the newest version read beside the applied one, so a change every worker refused shows', async () => {
    const metrics = createPipelineMetrics('t');
    const serving = new Serving({
      defaults: { champion: 'm@1', window: { maxRecords: 100, maxWaitMs: 100 } },
      initial: fakeServingModel('m@1'),
      load: (ref) =>
        ref === 'x@2'
          ? Promise.reject(new Error('x@2 is not in the registry'))
          : Promise.resolve(fakeServingModel(ref)),
      log: createLogger({ name: 'test', level: 'silent' }),
      metrics,
      clock: () => 0,
    });
    const versions = async () => ({
      seen: (await metrics.controlSeenVersion.get()).values[0]?.value,
      applied: (await metrics.controlAppliedVersion.get()).values[0]?.value,
    });
    assert.deepEqual(await versions(), { seen: 0, applied: 0 });
    await serving.offer(shadowX);
    serving.beforeBatch();
    assert.deepEqual(await versions(), { seen: 1, applied: 0 }, 'refused: read, not applied');
    await serving.offer(killed);
    serving.beforeBatch();
    assert.deepEqual(await versions(), { seen: 2, applied: 2 });
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
    settle.resolve(fakeServingModel('x@2'));
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
    settle.resolve(fakeServingModel('x@2'));
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

    const late = fakeServingModel('x@2');
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

/** pino's level number of `error`. */
const ERROR_LEVEL = 50;

const refOf = (model: ServingModel) => `${model.name}@${model.version}`;

/**
 * A worker serving m@1, the default champion, whose loads make fake models with the rollback target `targets` names;
 * a load of a ref passed to `gate` waits until the gate is opened. Keeps every model it made and its log lines.
 */
function workerOfFakes() {
  const targets = new Map<string, string>();
  const gates = new Map<string, Promise<void>>();
  const made: FakeServingModel[] = [fakeServingModel('m@1')];
  const loads: string[] = [];
  const output = capturedOutput();
  const logged = () => output.lines().map((line) => JSON.parse(line) as { level: number; msg: string; model?: string });
  const metrics = createPipelineMetrics('t');
  const serving = new Serving({
    defaults: { champion: 'm@1', window: { maxRecords: 100, maxWaitMs: 100 } },
    initial: made[0]!,
    load: async (ref) => {
      loads.push(ref);
      await gates.get(ref);
      const model = fakeServingModel(ref, targets.get(ref) ?? null);
      made.push(model);
      return model;
    },
    log: createLogger({ name: 'test', level: 'info', destination: output.stream }),
    metrics,
    clock: () => 0,
  });
  return {
    serving,
    targets,
    loads,
    /** What the worker's gauge says it holds loaded. */
    loadedGauge: async () => (await metrics.modelsLoaded.get()).values[0]?.value,
    /** Holds the loads of `ref` until the returned function is called. */
    gate(ref: string): () => void {
      let open = () => {};
      gates.set(ref, new Promise<void>((resolve) => (open = resolve)));
      return open;
    },
    async untilLoading(ref: string): Promise<void> {
      while (!loads.includes(ref)) await delay(1);
    },
    /** The model made last for `ref`. */
    model(ref: string): FakeServingModel {
      const model = made.filter((candidate) => refOf(candidate) === ref).pop();
      assert.ok(model, `${ref} was loaded`);
      return model;
    },
    /** Every model made is closed at most once, and exactly the `expected` ones are open. */
    assertOpen(expected: readonly (string | undefined)[], when: string): void {
      for (const model of made) assert.ok(model.closed <= 1, `${refOf(model)} is closed once at most`);
      const open = made.filter((model) => model.closed === 0).map(refOf);
      const wanted = expected.filter((ref): ref is string => ref !== undefined);
      assert.deepEqual(open.sort(), [...new Set(wanted)].sort(), when);
    },
    closed: () => made.filter((model) => model.closed > 0).map(refOf),
    /** The models the log says were released, in order. */
    released: () =>
      logged()
        .filter((entry) => entry.msg === 'model released: no plan names it')
        .map((entry) => entry.model),
    errorsLogged: () => logged().filter((entry) => entry.level >= ERROR_LEVEL),
  };
}

describe('Serving releases the models no plan needs', () => {
  it('keeps a bounded set through promote and rollback cycles, closing exactly what no plan needs', async () => {
    const worker = workerOfFakes();
    const { serving, targets } = worker;
    const apply = async (view: ControlView) => {
      await serving.offer(view);
      serving.beforeBatch();
    };
    let view = EMPTY_VIEW;
    let champion = 'm@1';
    for (let k = 2; k <= 13; k++) {
      const candidate = `m@${k}`;
      targets.set(candidate, champion);
      view = after(view, (state) =>
        startRollout(state, { model: candidate, champion, salt: 's', nowMs: 0, plan: [50, 100], stepMs: 0 }),
      );
      await apply(view);
      worker.assertOpen([champion, targets.get(champion), candidate, 'm@1'], `rollout of ${candidate}`);
      const promoted = k % 2 === 0;
      view = after(view, (state) => (promoted ? promoteRollout(state) : rollbackRollout(state, {})));
      await apply(view);
      if (promoted) champion = candidate;
      worker.assertOpen(
        [champion, targets.get(champion), 'm@1'],
        `${candidate} ${promoted ? 'promoted' : 'rolled back'}`,
      );
      assert.equal(
        await worker.loadedGauge(),
        new Set([champion, targets.get(champion), 'm@1'].filter(Boolean)).size,
        'the gauge counts what stays loaded',
      );
    }
    assert.equal(
      worker.closed().length,
      10,
      'of 13 models loaded, the champion, its rollback target and the default stay',
    );
    assert.deepEqual(worker.loads, [...new Set(worker.loads)], 'a model kept is never loaded again');
    assert.deepEqual(worker.released().sort(), worker.closed().sort(), 'every release is logged with its model');

    // The registry's champion moves to the one the control topic serves: the old default is needed no more.
    assert.equal(await serving.followDefaultChampion(champion), true);
    serving.beforeBatch();
    worker.assertOpen([champion, targets.get(champion)], 'the default followed the champion');
  });

  it("keeps the decider's rollback target, so a kill switch applies at the next boundary without a load", async () => {
    const worker = workerOfFakes();
    const { serving, targets } = worker;
    targets.set('x@2', 'm@1');
    targets.set('y@3', 'x@2');
    const onX = after(EMPTY_VIEW, (state) => setChampion(state, 'x@2'));
    const onY = after(onX, (state) => setChampion(state, 'y@3'));
    await serving.offer(onX);
    serving.beforeBatch();
    await serving.offer(onY);
    serving.beforeBatch();
    worker.assertOpen(['y@3', 'x@2', 'm@1'], 'x@2 is only the rollback target of y@3 now');

    await serving.offer(after(onY, (state) => killSwitchOn(state, { target: 'x@2', reason: 'drill', nowMs: 0 })));
    serving.beforeBatch();
    assert.equal(serving.current().plan.decider, 'x@2');
    assert.deepEqual(worker.loads, ['x@2', 'y@3'], 'the target was at hand');
    assert.equal(serving.current().model('x@2').name, 'x');
    // `kill-switch off` loads it again: that change may take a load's time, the kill switch may not.
    worker.assertOpen(['x@2', 'm@1'], 'the champion the kill switch replaced is named by no plan');
  });

  it('keeps what a preparation has loaded while the rest of its view loads, over idle boundaries', async () => {
    const worker = workerOfFakes();
    const { serving } = worker;
    const view = after(
      after(EMPTY_VIEW, (state) => setChampion(state, 'a@2')),
      (state) => startShadow(state, { model: 'b@3', champion: 'a@2', salt: 's', nowMs: 0 }),
    );
    const openB = worker.gate('b@3');
    const offered = serving.offer(view);
    await worker.untilLoading('b@3'); // a@2 loaded, named by no applied plan yet
    for (let boundary = 0; boundary < 3; boundary++) serving.beforeBatch();
    assert.equal(worker.model('a@2').closed, 0, 'not released while its view is being prepared');
    openB();
    await offered;
    serving.beforeBatch();
    assert.equal(serving.current().plan.decider, 'a@2');
    assert.equal(serving.current().model('a@2').name, 'a', 'the applied plan finds its models loaded');
    await serving.current().model('a@2').scorer.score(new Float32Array(3), 1);
    worker.assertOpen(['a@2', 'b@3', 'm@1'], 'the view applied');
  });

  it('lets a run a batch started before the switch end on the released model, and closes it after', async () => {
    const worker = workerOfFakes();
    const { serving } = worker;
    await serving.offer(shadowX);
    serving.beforeBatch();
    const batch = serving.current();
    const letRunEnd = worker.model('x@2').holdRuns();
    // A challenger run past its time limit: route-scores stopped waiting for it, the session has not.
    const run = batch.model('x@2').scorer.score(new Float32Array(3), 1);

    await serving.offer(after(shadowX, (state) => stopShadow(state)));
    assert.equal(batch.model('x@2').name, 'x', 'a prepared change releases nothing before the batch boundary');
    serving.beforeBatch();
    assert.throws(() => serving.current().model('x@2'), /not loaded/, 'released at the boundary');
    assert.equal(worker.model('x@2').closed, 0, 'not closed under the run');

    letRunEnd();
    assert.equal((await run).length, 1, 'the run ends with its scores');
    await delay(1);
    assert.equal(worker.model('x@2').closed, 1, 'closed once the run ended');
    assert.equal(worker.model('x@2').runsCutShort, 0);
    assert.deepEqual(worker.released(), ['x@2']);
  });

  it('closes the models whose loads end after close() and serves none; later changes load nothing', async () => {
    const worker = workerOfFakes();
    const { serving } = worker;
    const openX = worker.gate('x@2');
    const openChampion = worker.gate('m@9');
    const offered = serving.offer(shadowX);
    const followed = serving.followDefaultChampion('m@9');
    await worker.untilLoading('x@2');
    await worker.untilLoading('m@9');
    await serving.close();
    assert.equal(worker.model('m@1').closed, 1);

    openX();
    openChampion();
    await offered;
    assert.equal(await followed, false, 'a champion loaded after close() is not followed');
    assert.equal(worker.model('x@2').closed, 1, 'the late sessions are closed');
    assert.equal(worker.model('m@9').closed, 1);
    serving.beforeBatch();
    assert.equal(serving.status().appliedVersion, 0, 'no view is applied after close()');
    assert.throws(() => serving.current().model('x@2'), /not loaded/);
    assert.equal(serving.status().rejected, null, 'a load cut short by close() is no refusal');
    assert.deepEqual(worker.errorsLogged(), []);

    await serving.offer(windowed);
    assert.equal(await serving.followDefaultChampion('m@8'), false);
    assert.deepEqual([...worker.loads].sort(), ['m@9', 'x@2'], 'nothing loaded after close()');
    worker.assertOpen([], 'everything closed');
  });

  it('leaves nothing pending when close() comes while a view whose models are at hand is prepared', async () => {
    const { serving } = workerOfFakes();
    const offered = serving.offer(
      after(EMPTY_VIEW, (state) => setBatchWindow(state, { maxRecords: 200, maxWaitMs: null, minRecords: null })),
    );
    await serving.close();
    await offered;
    serving.beforeBatch();
    assert.equal(serving.status().appliedVersion, 0);
  });
});

describe('Serving retries a refused view while it is the newest', () => {
  /** m@1 (the topology file's model) was bad: the kill switch serves good@0, whose first `failures` loads fail. */
  const rolloutThenKill = after(
    after(EMPTY_VIEW, (state) =>
      startRollout(state, { model: 'bad@9', champion: 'm@1', salt: 's', nowMs: 0, plan: [1, 100], stepMs: 0 }),
    ),
    (state) => killSwitchOn(state, { target: 'good@0', reason: 'bad champion', nowMs: 0 }),
  );

  function workerFailing(ref: string, failures: number) {
    const loads: string[] = [];
    const serving = new Serving({
      defaults: { champion: 'm@1', window: { maxRecords: 100, maxWaitMs: 100 } },
      initial: fakeServingModel('m@1'),
      load: (wanted) => {
        loads.push(wanted);
        const failed = loads.filter((loaded) => loaded === wanted).length <= failures;
        return wanted === ref && failed
          ? Promise.reject(new Error(`${ref}: registry briefly unreadable`))
          : Promise.resolve(fakeServingModel(wanted));
      },
      log: createLogger({ name: 'test', level: 'silent' }),
      metrics: createPipelineMetrics('t'),
      clock: () => 0,
      retry: { firstMs: 5, longestMs: 20 },
    });
    return { serving, loads };
  }

  it('is not ready while the kill switch is refused, retries it, and serves it once a retry loads it', async () => {
    const { serving, loads } = workerFailing('good@0', 2);
    await serving.offer(rolloutThenKill);
    serving.beforeBatch();
    assert.equal(serving.status().appliedVersion, 0, 'refused: serving stays as it was for now');
    assert.match(
      serving.unreadyReason() ?? '',
      /control version 2 was refused \(good@0: registry briefly unreadable\)/,
    );

    // What start-up waits for before the first batch: no batch is scored with m@1, the model the switch replaced.
    try {
      await Promise.race([
        serving.untilNewestApplied(1),
        delay(2_000, undefined, { ref: false }).then(() => assert.fail('the refused view was never retried')),
      ]);
    } catch (error) {
      await serving.close(); // ends the wait
      throw error;
    }
    const status = serving.status();
    assert.equal(status.appliedVersion, 2);
    assert.equal(status.killed, true);
    assert.equal(serving.current().plan.decider, 'good@0');
    assert.equal(serving.unreadyReason(), null, 'ready once the newest view is applied');
    assert.equal(status.rejected, null);
    assert.deepEqual(
      loads.filter((ref) => ref === 'good@0'),
      ['good@0', 'good@0', 'good@0'],
      'two refusals, then the retry that loads it',
    );
  });

  it('stops retrying a refused view once a newer view is offered, and is ready when that one applies', async () => {
    const { serving, loads } = workerFailing('x@2', Infinity);
    await serving.offer(shadowX);
    serving.beforeBatch();
    assert.match(serving.unreadyReason() ?? '', /control version 1 was refused/);
    for (let waited = 0; loads.filter((ref) => ref === 'x@2').length < 2; waited++) {
      assert.ok(waited < 2_000, 'the refused view is retried');
      await delay(1);
    }

    await serving.offer(killed);
    serving.beforeBatch();
    assert.equal(serving.status().appliedVersion, 2);
    assert.equal(serving.unreadyReason(), null);
    const tries = loads.filter((ref) => ref === 'x@2').length;
    await delay(100); // several retry periods
    assert.equal(loads.filter((ref) => ref === 'x@2').length, tries, 'the superseded view is not tried again');
  });

  it('stops retrying at close()', async () => {
    const { serving, loads } = workerFailing('x@2', Infinity);
    await serving.offer(shadowX);
    await serving.close();
    const tries = loads.length;
    await delay(100);
    assert.equal(loads.length, tries);
    assert.equal(serving.unreadyReason(), null);
  });
});

describe('Serving applies a change before its decider’s rollback target loads', () => {
  it("makes a kill switch pending once its target is loaded, then loads the target's own rollback target", async () => {
    const worker = workerOfFakes();
    const { serving, targets } = worker;
    targets.set('y@3', 'x@2');
    targets.set('x@2', 'w@1');
    const onY = after(EMPTY_VIEW, (state) => setChampion(state, 'y@3'));
    await serving.offer(onY);
    serving.beforeBatch();
    worker.assertOpen(['y@3', 'x@2', 'm@1'], 'y@3 serves, its rollback target x@2 at hand');

    const openW = worker.gate('w@1');
    const offered = serving.offer(
      after(onY, (state) => killSwitchOn(state, { target: 'x@2', reason: 'drill', nowMs: 0 })),
    );
    await worker.untilLoading('w@1');
    serving.beforeBatch();
    assert.equal(serving.status().killed, true, 'the kill switch did not wait for w@1, a model it does not score with');
    assert.equal(serving.current().plan.decider, 'x@2');

    openW();
    await offered;
    serving.beforeBatch();
    worker.assertOpen(['x@2', 'w@1', 'm@1'], "x@2's rollback target is loaded afterwards and kept");
  });
});
