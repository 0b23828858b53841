export {
  batchWindowOverrideSchema,
  challengerStateSchema,
  CONTROL_FORMAT,
  controlChangeSchema,
  controlRecordSchema,
  DEFAULT_ROLLOUT_PLAN,
  INITIAL_SERVING_STATE,
  killSwitchStateSchema,
  MAX_CONTROL_VERSION,
  MIN_BATCH_WAIT_MS,
  parseControlRecord,
  servingStateSchema,
  type BatchWindowOverride,
  type ChallengerState,
  type ControlChange,
  type ControlParse,
  type ControlRecord,
  type KillSwitchState,
  type ServingState,
} from './serving-state.js';
export {
  decidingModels,
  EMPTY_VIEW,
  foldControl,
  foldControlEntry,
  nextRecord,
  planModels,
  servingPlan,
  type ControlLogItem,
  type ControlView,
  type Route,
  type ServingPlan,
} from './fold.js';
export { modelsToKeep, type RetentionInputs } from './retention.js';
export { appliedEntry, entryToReappend, foldControlLog } from './compaction.js';
export { CONTROL_TOPIC_SETTINGS, controlTopicName } from './topic-name.js';
export { controlTopicCreatedLine } from './topic-created.js';
export {
  judgeAlertRates,
  pairedAlerts,
  evaluateGates,
  rolloutGatePolicy,
  type GatePolicy,
  type GateResult,
  type GateStatus,
  type GateVerdict,
  type StageEvidence,
} from './gates.js';
export {
  boundOriginText,
  effectiveGateBounds,
  GATE_BOUND_RANGES,
  GATE_BOUNDS,
  gateBoundProblem,
  gateBoundRangeText,
  gateBoundSchema,
  rolloutGateBoundsSchema,
  type BoundOrigin,
  type BoundRange,
  type EffectiveBound,
  type GateBound,
  type GateBounds,
  type RolloutGateBounds,
} from './gate-bounds.js';
export { scorePsi } from './psi.js';
export { ROUTING_BUCKETS, routesToChallenger, routingBucket, stableHash32 } from './routing.js';
export { MIN_ROLLOUT_STEP_MS, stepProblem } from './step.js';
export {
  parseDuration,
  parsePlan,
  parseSettings,
  settingsProblem,
  windowProblem,
  type SettingsParse,
} from './settings.js';
export {
  abortRollout,
  advanceRollout,
  checkPlan,
  killSwitchOff,
  killSwitchOn,
  pauseRollout,
  promoteRollout,
  resumeRollout,
  rollbackRollout,
  rolloutBoundsProblem,
  setBatchWindow,
  setChampion,
  startRollout,
  startShadow,
  stopShadow,
  type Transition,
} from './transitions.js';
export {
  gateRetention,
  labelOfScore,
  pairOf,
  scoreViewOf,
  stageEvidence,
  STAGE_SIGHTING_MARGIN_MS,
  type LabelView,
  type ScoreRetention,
  type ScoreView,
} from './evidence.js';
export { ScoreStreams, type LabelReport } from './score-streams.js';
export { ControlLogContinuity, otherLogEvidence } from './log-continuity.js';
