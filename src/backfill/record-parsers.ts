import type { LabelEvent, PositionedTransaction } from '../core/contract/events.js';
import { validateLabel } from '../core/contract/validate-label.js';
import { validateTransaction } from '../core/contract/validate-transaction.js';
import { splitCsvLine } from './csv.js';
import { flatJsonReader } from './json-line.js';
import { BackfillInputError } from './errors.js';
import {
  detached,
  fail,
  failContract,
  requireAmount,
  requireIsFraud,
  requirePresent,
  requireTime,
  type Where,
} from './fields.js';

/**
 * Turns lines into records. One parser per input file; CSV parsers learn their column order from the header line.
 * Input columns (docs/features.md):
 *   events: transaction_id, event_time, customer_id, terminal_id, amount, currency (others ignored)
 *   labels: transaction_id, is_fraud, reported_at
 * Each record's fields are converted to the contract's types (fields.ts), then judged by the contract's own
 * validation, as a worker judges a decoded record: a file backfill accepts exactly the records a worker would score
 * (a training row from a record the workers dead-letter would change later rows' features too). A record the contract
 * refuses stops the run with a BackfillInputError naming file, line and field, as malformed input does.
 */
export interface RecordParser<T> {
  /** Null for a header line. */
  parse(line: string, where: Where): T | null;
  /** After the last line: throws if the input as a whole is malformed (a CSV file without its header line). */
  end(where: Where): void;
}

export type InputFormat = 'jsonl' | 'csv';

export const EVENT_COLUMNS = [
  'transaction_id',
  'event_time',
  'customer_id',
  'terminal_id',
  'amount',
  'currency',
] as const;
export const LABEL_COLUMNS = ['transaction_id', 'is_fraud', 'reported_at'] as const;

/** A file is partition 0; the offset is the 0-based line index, so that positions follow line order. */
const FILE_PARTITION = 0;

function toEvent(get: (column: number) => unknown, where: Where, nowMs: number): PositionedTransaction {
  const checked = validateTransaction(
    {
      transaction_id: requirePresent(get(0), where, 'transaction_id'),
      event_time: requireTime(get(1), where, 'event_time'),
      customer_id: requirePresent(get(2), where, 'customer_id'),
      terminal_id: requirePresent(get(3), where, 'terminal_id'),
      amount: requireAmount(get(4), where),
      currency: requirePresent(get(5), where, 'currency'),
    },
    nowMs,
  );
  if (!checked.ok) return failContract(where, checked.field, checked.reason, checked.detail);
  const event = checked.event;
  return {
    transactionId: detached(event.transactionId),
    eventTimeMs: event.eventTimeMs,
    customerId: detached(event.customerId),
    terminalId: detached(event.terminalId),
    amountMinor: event.amountMinor,
    currency: event.currency,
    position: { partition: FILE_PARTITION, offset: where.line - 1 },
  };
}

function toLabel(get: (column: number) => unknown, where: Where, nowMs: number): LabelEvent {
  const checked = validateLabel(
    {
      transaction_id: requirePresent(get(0), where, 'transaction_id'),
      is_fraud: requireIsFraud(get(1), where),
      reported_at: requireTime(get(2), where, 'reported_at'),
    },
    nowMs,
  );
  if (!checked.ok) return failContract(where, checked.field, checked.reason, checked.detail);
  const { transactionId, isFraud, reportedAtMs } = checked.label;
  return {
    // Only a fraud report's id stays in the feature state; the label index copies every id into its own table.
    transactionId: isFraud ? detached(transactionId) : transactionId,
    isFraud,
    reportedAtMs,
  };
}

/** One kind of input file: the columns it must have, and the flag that names such files. */
interface InputKind {
  readonly flag: '--events' | '--labels';
  readonly columns: readonly string[];
}

const EVENTS: InputKind = { flag: '--events', columns: EVENT_COLUMNS };
const LABELS: InputKind = { flag: '--labels', columns: LABEL_COLUMNS };

/**
 * A record that lacks a column of its kind but has every column of the other kind: the two files were most likely
 * given the wrong way round, and the refusal says so rather than only naming the missing column.
 */
function swappedFiles(kind: InputKind, other: InputKind, has: (column: string) => boolean): string {
  if (kind.columns.every(has) || !other.columns.every(has)) return '';
  return (
    `; its columns are those of ${other.flag} input (${other.columns.join(', ')}): give ${kind.flag} the ` +
    `${kind.flag.slice(2)} file (were the two swapped?)`
  );
}

/**
 * `nowMs`: the clock the contract's "event time at most 24 h ahead" rule is checked against: as for a topic
 * (kafka-source.ts), the time the read starts.
 */
export function eventParser(format: InputFormat, nowMs: number): RecordParser<PositionedTransaction> {
  const build = (get: (column: number) => unknown, where: Where) => toEvent(get, where, nowMs);
  return format === 'csv' ? csvParser(EVENTS, LABELS, build) : jsonParser(EVENTS, LABELS, build);
}

/** `nowMs`: as for eventParser, the clock the contract's "reported_at at most 24 h ahead" rule is checked against. */
export function labelParser(format: InputFormat, nowMs: number): RecordParser<LabelEvent> {
  const build = (get: (column: number) => unknown, where: Where) => toLabel(get, where, nowMs);
  return format === 'csv' ? csvParser(LABELS, EVENTS, build) : jsonParser(LABELS, EVENTS, build);
}

function jsonParser<T>(
  kind: InputKind,
  other: InputKind,
  build: (get: (column: number) => unknown, where: Where) => T,
): RecordParser<T> {
  const { columns } = kind;
  const values: unknown[] = new Array<unknown>(columns.length);
  const get = (column: number) => values[column];
  const readFast = flatJsonReader(columns);
  return {
    parse(line, where) {
      if (!readFast(line, values)) {
        // Escapes, nested values or invalid JSON: the general parser (and its error message).
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch (error) {
          return fail(where, '(line)', `not valid JSON: ${(error as Error).message}`);
        }
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          return fail(where, '(line)', 'each line must be a JSON object');
        }
        for (let k = 0; k < columns.length; k++) {
          values[k] = (record as Record<string, unknown>)[columns[k]!];
        }
      }
      try {
        return build(get, where);
      } catch (error) {
        throw withSwapHint(error, line, kind, other);
      }
    },
    end() {},
  };
}

/** A missing column's refusal, with the swapped-files hint when the line is a record of the other kind. */
function withSwapHint(error: unknown, line: string, kind: InputKind, other: InputKind): unknown {
  if (!(error instanceof BackfillInputError) || error.problem !== 'missing') return error;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return error;
  }
  const hint = swappedFiles(kind, other, (column) => Object.hasOwn(record as object, column));
  return hint === '' ? error : new BackfillInputError(error.file, error.line, error.field, `missing${hint}`);
}

function csvParser<T>(
  kind: InputKind,
  other: InputKind,
  build: (get: (column: number) => unknown, where: Where) => T,
): RecordParser<T> {
  const { columns } = kind;
  let indexes: number[] | null = null;
  let fields: string[] = [];
  const get = (column: number) => fields[indexes![column]!];
  return {
    parse(line, where) {
      const split = splitCsvLine(line);
      if (split === null) {
        return fail(where, '(line)', 'unterminated quote (quoted fields may not span lines)');
      }
      if (indexes === null) {
        const header = split.map((name) => name.trim());
        indexes = columns.map((column) => header.indexOf(column));
        const missing = columns.filter((_, i) => indexes![i] === -1);
        if (missing.length > 0) {
          const hint = swappedFiles(kind, other, (column) => header.includes(column));
          return fail(where, missing.join(','), `header lacks column(s); it must name ${columns.join(', ')}${hint}`);
        }
        return null;
      }
      fields = split;
      return build(get, where);
    },
    end(where) {
      if (indexes === null) {
        // An empty file (or one of blank lines) has no header to check: it fails the header check, not later.
        where.line = 1;
        fail(
          where,
          '(header)',
          `no header line (the file is empty); a CSV input starts with a header naming ${columns.join(', ')}`,
        );
      }
    },
  };
}
