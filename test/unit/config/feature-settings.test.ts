import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelDelayMsOf, topologyFeatureSchema } from '../../../src/config/index.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../src/core/features/memory-state.js';

const withDelay = (labelDelayDays: number) => ({ features: { set: 'card-baseline-v1' as const, labelDelayDays } });

describe("a topology's feature settings", () => {
  it('give the label delay in ms', () => {
    assert.equal(labelDelayMsOf(withDelay(3)), 3 * DAY_MS);
  });

  it("give the schema the topology's engine computes: what lint checks the model against is what the worker serves", () => {
    for (const days of [1, 3, 7, 90]) {
      const topology = withDelay(days);
      const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: labelDelayMsOf(topology) });
      assert.deepEqual(topologyFeatureSchema(topology), engine.schema, `labelDelayDays ${days}`);
    }
    assert.deepEqual(topologyFeatureSchema(withDelay(7)), FEATURE_SCHEMA);
    assert.notEqual(topologyFeatureSchema(withDelay(3)).version, FEATURE_SCHEMA.version);
  });
});
