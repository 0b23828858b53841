/**
 * Bad backfill input, located precisely: `events.csv:812:amount: must be a number >= 0, got "12,50"`. The backfill
 * stops at the first one (a training table built from silently skipped rows would not be reproducible evidence).
 */
export class BackfillInputError extends Error {
  readonly code = 'BACKFILL_INPUT_INVALID';
  readonly retriable = false;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${field}: ${problem}`);
    this.name = 'BackfillInputError';
  }
}

/**
 * Input that gives no training row: events that hold none, or a --from/--to window that selects none of them. A
 * table of 0 rows is never written: it would only fail later, in the trainer, far from the cause.
 */
export class BackfillEmptyError extends Error {
  readonly code = 'BACKFILL_EMPTY';
  readonly retriable = false;
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'BackfillEmptyError';
  }
}

/**
 * Bad options (the CLI maps them to usage errors), named by their command-line flag and, where it helps, the value
 * given: `--events nope.jsonl: file not found (...)`.
 */
export class BackfillOptionError extends Error {
  readonly code = 'BACKFILL_OPTION_INVALID';
  readonly retriable = false;
  constructor(
    readonly option: string,
    message: string,
    readonly value?: string,
  ) {
    super(`${value === undefined ? option : `${option} ${value}`}: ${message}`);
    this.name = 'BackfillOptionError';
  }
}
