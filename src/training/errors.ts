/** A retrain that cannot start or cannot finish: the message says what is missing or changed. */
export class RetrainError extends Error {
  override readonly name = 'RetrainError';
}
