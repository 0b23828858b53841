/**
 * A record the feature engine cannot featurise (non-finite event time or amount). The contract validation dead-letters
 * such records before they get here, so this signals a bug upstream; it is thrown before anything is written, so the
 * state is never poisoned. Not retriable: the same batch would fail again.
 */
export class FeatureInputError extends Error {
  readonly code = 'FEATURE_INPUT_INVALID';
  readonly retriable = false;
  constructor(
    readonly transactionId: string,
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FeatureInputError';
  }
}

/** featurize() was called while a previous call on the same engine had not finished: log order would be lost. */
export class OverlappingFeaturizeError extends Error {
  readonly code = 'FEATURIZE_OVERLAP';
  readonly retriable = false;
  constructor() {
    super('featurize() calls on one engine must not overlap: await each batch before the next');
    this.name = 'OverlappingFeaturizeError';
  }
}

/**
 * The feature state has not absorbed what this worker's input position says it must have (its absorbed-offset
 * marker is missing or behind): Redis lost data (a restart without persistence, a flush, a failover to a stale
 * replica). Scoring on would silently use emptied windows, so the batch is refused before anything is written.
 * Retriable: once `fraudscore state rebuild` has rebuilt the state from the topics, the same batch goes through.
 */
export class FeatureStateBehindError extends Error {
  readonly code = 'FEATURE_STATE_BEHIND';
  readonly retriable = true;
  constructor(
    readonly partition: number,
    /** What the state says it absorbed (the next offset), null when the marker is missing. */
    readonly absorbed: number | null,
    /** What it should have absorbed at least. */
    readonly expected: number,
  ) {
    super(
      `feature state is behind the input: partition ${partition} absorbed ` +
        `${absorbed === null ? 'nothing (marker missing)' : `up to offset ${absorbed}`}, expected at least ` +
        `${expected}. Redis lost feature state; scoring is paused. Rebuild it from the topics with ` +
        '`fraudscore state rebuild --topology <file>`; this worker resumes by itself once the state is back',
    );
    this.name = 'FeatureStateBehindError';
  }
}
