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
