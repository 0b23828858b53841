/**
 * Why a record was dead-lettered. A closed vocabulary: dashboards and alerts key on these, so never free text.
 * The human-readable explanation goes into the dead letter's `detail`.
 */
export const DeadLetterReason = {
  MissingValue: 'MISSING_VALUE',
  NotWireFormat: 'NOT_WIRE_FORMAT',
  UnknownSchemaId: 'UNKNOWN_SCHEMA_ID',
  UndecodableBody: 'UNDECODABLE_BODY',
  WrongSchema: 'WRONG_SCHEMA',
  OversizedRecord: 'OVERSIZED_RECORD',
  InvalidField: 'INVALID_FIELD',
  AbsurdTimestamp: 'ABSURD_TIMESTAMP',
  InvalidAmount: 'INVALID_AMOUNT',
  /**
   * The transaction_id was already consumed at another offset within the duplicate horizon (an upstream retry): the
   * first occurrence's outcome stands, and the detail names its partition and offset. The feature state is untouched.
   */
  DuplicateTransaction: 'DUPLICATE_TRANSACTION',
} as const;
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

/** Reason codes attached to a published score (the record was scored, but something is worth knowing). */
export const ScoreReasonCode = {
  FeatureImputed: 'FEATURE_IMPUTED',
  ModelOutputNonFinite: 'MODEL_OUTPUT_NON_FINITE',
  ModelOutputOutOfRange: 'MODEL_OUTPUT_OUT_OF_RANGE',
  KillSwitchFallback: 'KILL_SWITCH_FALLBACK',
  /** The challenger's score failed (CHALLENGER_FAILED:error|timeout|non_finite); the champion decided. */
  ChallengerFailed: 'CHALLENGER_FAILED',
} as const;
export type ScoreReasonCode = (typeof ScoreReasonCode)[keyof typeof ScoreReasonCode];
