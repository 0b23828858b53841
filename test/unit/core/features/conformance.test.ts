import { describeFeatureConformance } from '../../../support/feature-conformance.js';
import { createMemoryFeatureState } from '../../../../src/core/features/memory-state.js';

describeFeatureConformance('memory state', () =>
  Promise.resolve({ state: createMemoryFeatureState(), cleanup: () => Promise.resolve() }),
);
