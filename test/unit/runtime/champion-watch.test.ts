import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { createPipelineMetrics } from '../../../src/adapters/observability/metrics.js';
import { ChampionWatch, FAILED_CHAMPION_RETRY_MS } from '../../../src/runtime/champion-watch.js';
import { Serving } from '../../../src/runtime/serving.js';
import { INITIAL_SERVING_STATE, type ControlView } from '../../../src/core/control/index.js';
import { fakeServingModel } from '../../support/fake-serving-model.js';

const log = createLogger({ name: 'champion-watch-test', level: 'silent' });
const WINDOW = { maxRecords: 1000, maxWaitMs: 1000 };

/** A Serving over fake models; `broken` refs fail to load as a registry would refuse them. */
function servingOf(broken: ReadonlySet<string> = new Set()) {
  const loads: string[] = [];
  const serving = new Serving({
    defaults: { champion: 'card-fraud@1', window: WINDOW },
    initial: fakeServingModel('card-fraud@1'),
    load: (ref) => {
      loads.push(ref);
      return broken.has(ref)
        ? Promise.reject(new Error(`${ref}: sha256 mismatch`))
        : Promise.resolve(fakeServingModel(ref, 'card-fraud@1'));
    },
    log,
    metrics: createPipelineMetrics('champion-watch-test'),
    clock: () => 0,
  });
  return { serving, loads };
}

function viewOf(version: number, state: Partial<typeof INITIAL_SERVING_STATE>): ControlView {
  return { version, state: { ...INITIAL_SERVING_STATE, ...state }, record: null };
}

/** The kill switch on, serving card-fraud@0. */
const KILLED = { on: true, reason: 'drill', target: 'card-fraud@0', sinceMs: 0 };

const decider = (serving: Serving) => {
  serving.beforeBatch();
  return serving.current().plan.decider;
};

describe('Serving follows a new default champion at a batch boundary', () => {
  it('switches the decider once the new champion is loaded, not before the next batch boundary', async () => {
    const { serving } = servingOf();
    assert.equal(await serving.followDefaultChampion('card-fraud@2'), true);
    assert.equal(serving.current().plan.decider, 'card-fraud@1', 'the batch being scored keeps its configuration');
    assert.equal(decider(serving), 'card-fraud@2');
    assert.equal(serving.status().rejected, null);
  });

  it('keeps the old champion when the new one cannot be loaded, and a later kill switch still applies', async () => {
    const { serving } = servingOf(new Set(['card-fraud@2']));
    assert.equal(await serving.followDefaultChampion('card-fraud@2'), false);
    assert.equal(decider(serving), 'card-fraud@1');
    assert.match(serving.status().rejected?.reason ?? '', /registry champion card-fraud@2: .*sha256 mismatch/);
    // Later control changes are prepared against the champion that loads, not the refused one.
    await serving.offer(viewOf(1, { batch: { maxRecords: 500, maxWaitMs: null, minRecords: null } }));
    assert.equal(decider(serving), 'card-fraud@1');
    assert.equal(serving.current().plan.window.maxRecords, 500);
    await serving.offer(viewOf(2, { killSwitch: KILLED }));
    assert.equal(decider(serving), 'card-fraud@0');
    assert.equal(serving.status().killed, true);
  });

  it('refuses a champion it cannot load while the kill switch is on, so `kill-switch off` still applies', async () => {
    const { serving, loads } = servingOf(new Set(['card-fraud@2']));
    await serving.offer(viewOf(1, { killSwitch: KILLED }));
    assert.equal(decider(serving), 'card-fraud@0');
    assert.equal(
      await serving.followDefaultChampion('card-fraud@2'),
      false,
      'refused although the kill target decides',
    );
    assert.deepEqual(loads, ['card-fraud@0', 'card-fraud@2']);
    assert.match(serving.status().rejected?.reason ?? '', /registry champion card-fraud@2: .*sha256 mismatch/);
    assert.equal(decider(serving), 'card-fraud@0', 'the kill switch holds');
    await serving.offer(viewOf(2, { killSwitch: INITIAL_SERVING_STATE.killSwitch }));
    assert.equal(decider(serving), 'card-fraud@1', 'kill-switch off returns to the champion that loads');
    assert.equal(serving.status().appliedVersion, 2);
    assert.equal(serving.status().rejected, null);
    assert.equal(serving.unreadyReason(), null);
  });

  it('loads a champion followed while the kill switch is on, so `kill-switch off` serves it without a load', async () => {
    const { serving, loads } = servingOf();
    await serving.offer(viewOf(1, { killSwitch: KILLED }));
    assert.equal(await serving.followDefaultChampion('card-fraud@3'), true);
    assert.deepEqual(loads, ['card-fraud@0', 'card-fraud@3'], 'loaded when followed');
    assert.equal(decider(serving), 'card-fraud@0', 'the kill switch holds');
    await serving.offer(viewOf(2, { killSwitch: INITIAL_SERVING_STATE.killSwitch }));
    assert.equal(decider(serving), 'card-fraud@3');
    assert.deepEqual(loads, ['card-fraud@0', 'card-fraud@3'], 'nothing more to load at `kill-switch off`');
  });

  it('changes nothing while the control topic names the champion', async () => {
    const { serving } = servingOf();
    await serving.offer(viewOf(1, { champion: 'card-fraud@3' }));
    assert.equal(decider(serving), 'card-fraud@3');
    assert.equal(await serving.followDefaultChampion('card-fraud@2'), true);
    assert.equal(decider(serving), 'card-fraud@3', 'the control topic wins over the registry');
    // A control change written later is prepared with the new default, which it does not use either.
    await serving.offer(
      viewOf(2, { champion: 'card-fraud@3', batch: { maxRecords: 500, maxWaitMs: null, minRecords: null } }),
    );
    assert.equal(decider(serving), 'card-fraud@3');
  });

  it('prepares later control changes with the followed champion', async () => {
    const { serving } = servingOf();
    await serving.followDefaultChampion('card-fraud@2');
    await serving.offer(viewOf(1, { batch: { maxRecords: 500, maxWaitMs: null, minRecords: null } }));
    assert.equal(decider(serving), 'card-fraud@2');
    assert.equal(serving.current().plan.window.maxRecords, 500);
  });
});

describe('ChampionWatch', () => {
  function watchOf(champions: (string | null | Error)[], followResult: (ref: string) => boolean = () => true) {
    const followed: string[] = [];
    let now = 0;
    const watch = new ChampionWatch(
      {
        readChampion: () => {
          const next = champions.shift() ?? null;
          return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
        },
        follow: (ref) => {
          followed.push(ref);
          return Promise.resolve(followResult(ref));
        },
        log,
        clock: () => now,
      },
      'card-fraud@1',
    );
    return { watch, followed, advance: (ms: number) => (now += ms) };
  }

  it('follows each change of the registry champion once', async () => {
    const { watch, followed } = watchOf(['card-fraud@1', 'card-fraud@2', 'card-fraud@2', 'card-fraud@3']);
    for (let i = 0; i < 4; i++) await watch.poll();
    assert.deepEqual(followed, ['card-fraud@2', 'card-fraud@3']);
  });

  it('ignores a model without a champion and a registry that cannot be read', async () => {
    const { watch, followed } = watchOf([null, new Error('EACCES'), 'card-fraud@2']);
    for (let i = 0; i < 3; i++) await watch.poll();
    assert.deepEqual(followed, ['card-fraud@2']);
  });

  it('tries a champion that could not be served again only after the retry interval', async () => {
    const { watch, followed, advance } = watchOf(
      Array.from({ length: 4 }, () => 'card-fraud@2'),
      () => followed.length > 2,
    );
    await watch.poll();
    await watch.poll();
    assert.deepEqual(followed, ['card-fraud@2'], 'no reload at every poll');
    advance(FAILED_CHAMPION_RETRY_MS);
    await watch.poll();
    advance(FAILED_CHAMPION_RETRY_MS);
    await watch.poll();
    assert.equal(followed.length, 3, 'retried after the interval, followed once it served');
  });
});
