/** The simulator's pure core: seeded card traffic with injected fraud, delayed labels and optional hostile records. */
export { simulate } from './generator.js';
export { explainEmptyRun, type EmptyRunCause } from './empty-run.js';
export {
  DAY_MS,
  DEFAULT_SIMULATION_OPTIONS,
  DRIFT_SCENARIOS,
  DriftScenario,
  HOUR_MS,
  MAX_LABEL_DELAY_MS,
  SimulationOptionError,
  resolveSimulationOptions,
  type SimulationOptions,
} from './options.js';
export { FRAUD_SCENARIOS, FraudScenario } from './fraud.js';
export {
  HOSTILE_KINDS,
  HostileKind,
  UNREGISTERED_SCHEMA_ID,
  makeHostileRecord,
  type HostileEncoding,
  type HostileRecord,
} from './hostile.js';
export { HOSTILE_ID_PREFIX } from './ids.js';
export {
  toLabelRecord,
  toTransactionRecord,
  type LabelRecord,
  type SimulatedTransaction,
  type TransactionRecord,
} from './records.js';
export type { SimulatedRecord } from './simulated-record.js';
export { SummaryAccumulator, type SimulationSummary } from './summary.js';
export { Prng, deriveSeed } from './prng.js';
