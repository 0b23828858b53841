import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routesToChallenger, type ServingPlan } from '../../../src/core/control/index.js';
import { scoreWithPlan } from '../../../src/runtime/route-scores.js';
import type { ActiveServing } from '../../../src/runtime/serving.js';
import type { ServingModel } from '../../../src/runtime/serving-model.js';

function model(version: string, score: (row: number) => number | Promise<never>): ServingModel {
  return {
    name: 'm',
    version,
    featureSchemaVersion: 'fs',
    scorer: {
      async score(_features, rows) {
        const out = new Float32Array(rows);
        for (let i = 0; i < rows; i++) {
          const value = score(i);
          if (value instanceof Promise) return value;
          out[i] = value;
        }
        return out;
      },
      close: () => Promise.resolve(),
    },
  };
}

function serving(plan: Partial<ServingPlan>, models: ServingModel[]): ActiveServing {
  const full: ServingPlan = {
    version: 3,
    decider: 'm@1',
    killed: false,
    challenger: null,
    window: { maxRecords: 1000, maxWaitMs: 1000 },
    ...plan,
  };
  return {
    plan: full,
    model: (ref) => models.find((m) => `${m.name}@${m.version}` === ref) ?? assert.fail(`no ${ref}`),
  };
}

const customers = Array.from({ length: 1000 }, (_, i) => `c${i}`);
const champion = model('1', () => 0.1);
const rollout = { model: 'm@2', mode: 'rollout' as const, percent: 25, salt: 'salt', stage: 2 };

describe('scoring a batch with a serving plan', () => {
  it('routes exactly the customers the hash selects; the other model rides in shadow scores', async () => {
    const routed = await scoreWithPlan(
      serving({ challenger: rollout }, [champion, model('2', () => 0.7)]),
      new Float32Array(),
      1000,
      {
        customerIds: customers,
        timeoutMs: 1000,
      },
    );
    assert.equal(routed.records.length, 1000);
    routed.records.forEach((record, i) => {
      const toChallenger = routesToChallenger('salt', customers[i]!, 25);
      assert.equal(record.route, toChallenger ? 'challenger' : 'champion');
      assert.equal(record.raw, toChallenger ? Math.fround(0.7) : Math.fround(0.1));
      assert.deepEqual(Object.keys(record.shadowScores), [toChallenger ? 'm@1' : 'm@2']);
    });
    assert.deepEqual(Object.keys(routed.latencyMs).sort(), ['m@1', 'm@2']);
  });

  it("never lets the challenger's failure touch the champion's decision", async () => {
    for (const [broken, why] of [
      [model('2', () => Number.NaN), 'non_finite'],
      [model('2', () => Promise.reject(new Error('boom'))), 'error'],
      [model('2', () => new Promise<never>(() => undefined)), 'timeout'],
    ] as const) {
      const routed = await scoreWithPlan(
        serving({ challenger: rollout }, [champion, broken]),
        new Float32Array(),
        200,
        {
          customerIds: customers,
          timeoutMs: 50,
        },
      );
      assert.equal(routed.records.length, 200);
      for (const record of routed.records) {
        assert.equal(record.route, 'champion');
        assert.equal(record.raw, Math.fround(0.1));
        assert.deepEqual(record.reasonCodes, [`CHALLENGER_FAILED:${why}`]);
      }
      assert.deepEqual(routed.failures, { [`2|${why}`]: 200 });
    }
  });

  it('serves only the kill switch target during a kill, flagged KILL_SWITCH_FALLBACK', async () => {
    const routed = await scoreWithPlan(serving({ killed: true }, [champion]), new Float32Array(), 10, {
      customerIds: customers,
      timeoutMs: 50,
    });
    assert.equal(routed.records.length, 10);
    assert.ok(routed.records.every((r) => r.route === 'kill_switch' && r.reasonCodes[0] === 'KILL_SWITCH_FALLBACK'));
  });
});
