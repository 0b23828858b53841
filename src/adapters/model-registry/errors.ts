import type { RegistryRefusal } from '../../core/models/registry-index.js';
import type { ModelRejection } from '../../core/models/verification.js';

/** Codes beyond the core's refusals: conditions only storage can meet. */
export const RegistryStorageError = {
  Locked: 'LOCKED',
  MissingArtifact: 'MISSING_ARTIFACT',
  InvalidCard: 'INVALID_CARD',
  ArtifactConflict: 'ARTIFACT_CONFLICT',
  VerificationFailed: 'VERIFICATION_FAILED',
} as const;
export type RegistryStorageError = (typeof RegistryStorageError)[keyof typeof RegistryStorageError];

export type ModelRegistryErrorCode = RegistryRefusal | ModelRejection | RegistryStorageError;

/** Every registry failure: a stable code for programs, a message naming the model and the fix for people. */
export class ModelRegistryError extends Error {
  constructor(
    readonly code: ModelRegistryErrorCode,
    message: string,
    /** Only a held lock clears by itself; everything else needs someone to act. */
    readonly canRetry = false,
  ) {
    super(message);
    this.name = 'ModelRegistryError';
  }
}
