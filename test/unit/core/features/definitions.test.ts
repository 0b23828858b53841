import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DAY_MS,
  FEATURE_SCHEMA,
  canonicalJson,
  defineFeatureSet,
  featureSchemaFor,
  featureSchemaOf,
  retentionOf,
} from '../../../../src/core/features/definitions.js';

/** The model input order, as agreed with the trainer: changing it must be a deliberate act. */
const MODEL_INPUT_ORDER = [
  'amount',
  'tx_during_weekend',
  'tx_during_night',
  'customer_nb_tx_1d',
  'customer_avg_amount_1d',
  'customer_nb_tx_7d',
  'customer_avg_amount_7d',
  'customer_nb_tx_30d',
  'customer_avg_amount_30d',
  'terminal_nb_tx_1d',
  'terminal_risk_1d',
  'terminal_nb_tx_7d',
  'terminal_risk_7d',
  'terminal_nb_tx_30d',
  'terminal_risk_30d',
];

describe('feature definitions', () => {
  it('declare the 15 features in model input order', () => {
    assert.deepEqual(FEATURE_SCHEMA.names, MODEL_INPUT_ORDER);
  });

  it('derive a deterministic version that names the feature set', () => {
    assert.match(FEATURE_SCHEMA.version, /^card-baseline-v1\+[0-9a-f]{12}$/);
    assert.deepEqual(featureSchemaFor(7 * DAY_MS), FEATURE_SCHEMA);
  });

  it('change the version when the delay, a window, a default or the order changes, not when a description does', () => {
    const base = defineFeatureSet({ labelDelayMs: 7 * DAY_MS });
    const version = featureSchemaOf(base).version;
    assert.notEqual(featureSchemaFor(8 * DAY_MS).version, version);
    const reordered = [base[1]!, base[0]!, ...base.slice(2)];
    assert.notEqual(featureSchemaOf(reordered).version, version);
    const otherWindow = base.map((d) =>
      d.name === 'customer_nb_tx_7d' ? { ...d, window: { lengthMs: 6 * DAY_MS, delayMs: 0 } } : d,
    );
    assert.notEqual(featureSchemaOf(otherWindow).version, version);
    const otherDefault = base.map((d) => (d.name === 'amount' ? { ...d, defaultValue: -1 } : d));
    assert.notEqual(featureSchemaOf(otherDefault).version, version);
    const reworded = base.map((d) => ({ ...d, description: `${d.description} (reworded)` }));
    assert.equal(featureSchemaOf(reworded).version, version);
  });

  it('declare windows, delays and finite defaults for every aggregate', () => {
    for (const definition of defineFeatureSet({ labelDelayMs: 7 * DAY_MS })) {
      assert.ok(Number.isFinite(definition.defaultValue), definition.name);
      if (definition.entity === 'transaction') {
        assert.equal(definition.window, null, definition.name);
      } else {
        const delay = definition.entity === 'terminal' ? 7 * DAY_MS : 0;
        assert.equal(definition.window?.delayMs, delay, definition.name);
      }
    }
  });

  it('reject a label delay that would let terminal windows reach the current transaction', () => {
    assert.throws(() => defineFeatureSet({ labelDelayMs: 0 }), RangeError);
    assert.throws(() => defineFeatureSet({ labelDelayMs: -DAY_MS }), RangeError);
    assert.throws(() => defineFeatureSet({ labelDelayMs: 1.5 }), RangeError);
  });

  it('keep state for the longest window plus delay plus the lateness margin', () => {
    assert.equal(retentionOf(defineFeatureSet({ labelDelayMs: 7 * DAY_MS }), DAY_MS), 38 * DAY_MS);
  });

  it('serialise canonically: sorted keys, whatever the literal order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: null }] }), '{"a":[{"c":null,"d":2}],"b":1}');
    assert.equal(canonicalJson({ a: 1, b: undefined }), '{"a":1}');
  });
});
