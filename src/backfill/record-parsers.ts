import type { LabelEvent, PositionedTransaction } from '../core/contract/events.js';
import { splitCsvLine } from './csv.js';
import { flatJsonReader } from './json-line.js';
import {
  detached,
  fail,
  requireAmountMinor,
  requireCurrency,
  requireId,
  requireIsFraud,
  requireTime,
  requireTransactionId,
  type Where,
} from './fields.js';

/**
 * Turns lines into records. One parser per input file; CSV parsers learn their column order from the header line.
 * Input columns (docs/features.md):
 *   events: transaction_id, event_time, customer_id, terminal_id, amount, currency (others ignored)
 *   labels: transaction_id, is_fraud, reported_at
 */
export interface RecordParser<T> {
  /** Null for a header line. */
  parse(line: string, where: Where): T | null;
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

function toEvent(get: (column: number) => unknown, where: Where): PositionedTransaction {
  return {
    transactionId: detached(requireTransactionId(get(0), where)),
    eventTimeMs: requireTime(get(1), where, 'event_time'),
    customerId: detached(requireId(get(2), where, 'customer_id')),
    terminalId: detached(requireId(get(3), where, 'terminal_id')),
    amountMinor: requireAmountMinor(get(4), where),
    currency: requireCurrency(get(5), where),
    position: { partition: FILE_PARTITION, offset: where.line - 1 },
  };
}

function toLabel(get: (column: number) => unknown, where: Where): LabelEvent {
  const transactionId = requireTransactionId(get(0), where);
  const isFraud = requireIsFraud(get(1), where);
  return {
    // Only a fraud report's id stays in the feature state; the label index copies every id into its own table.
    transactionId: isFraud ? detached(transactionId) : transactionId,
    isFraud,
    reportedAtMs: requireTime(get(2), where, 'reported_at'),
  };
}

export function eventParser(format: InputFormat): RecordParser<PositionedTransaction> {
  return format === 'csv' ? csvParser(EVENT_COLUMNS, toEvent) : jsonParser(EVENT_COLUMNS, toEvent);
}

export function labelParser(format: InputFormat): RecordParser<LabelEvent> {
  return format === 'csv' ? csvParser(LABEL_COLUMNS, toLabel) : jsonParser(LABEL_COLUMNS, toLabel);
}

function jsonParser<T>(
  columns: readonly string[],
  build: (get: (column: number) => unknown, where: Where) => T,
): RecordParser<T> {
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
      return build(get, where);
    },
  };
}

function csvParser<T>(
  columns: readonly string[],
  build: (get: (column: number) => unknown, where: Where) => T,
): RecordParser<T> {
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
          return fail(where, missing.join(','), `header lacks column(s); it must name ${columns.join(', ')}`);
        }
        return null;
      }
      fields = split;
      return build(get, where);
    },
  };
}
