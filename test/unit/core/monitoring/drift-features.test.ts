import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS, defineFeatureSet } from '../../../../src/core/features/definitions.js';
import { calendarFeatureNames } from '../../../../src/core/monitoring/drift-features.js';

describe('calendarFeatureNames', () => {
  it("picks the feature set's weekday and hour features, by their kind, and nothing else", () => {
    const definitions = defineFeatureSet({ labelDelayMs: 7 * DAY_MS });
    assert.deepEqual(calendarFeatureNames(definitions), ['tx_during_weekend', 'tx_during_night']);
    // By kind, not by name: a renamed calendar feature is still left out, an amount named like one is not.
    const renamed = definitions.map((d) =>
      d.aggregation.kind === 'utcHourAtMost'
        ? { ...d, name: 'night' }
        : d.name === 'amount'
          ? { ...d, name: 'tx_during_weekend_amount' }
          : d,
    );
    assert.deepEqual(calendarFeatureNames(renamed), ['tx_during_weekend', 'night']);
  });
});
