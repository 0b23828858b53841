import type { LabelEvent } from '../core/contract/events.js';
import type { SimulatedTransaction } from '../core/simulate/index.js';

/** File formats of the simulator's output. */
export const OutputFormat = { Jsonl: 'jsonl', Csv: 'csv' } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

/** Columns, in file order. The names are the Avro field names, so files and topics read the same. */
export const TRANSACTION_COLUMNS = ['transaction_id', 'event_time', 'customer_id', 'terminal_id', 'amount', 'currency'];
export const LABEL_COLUMNS = ['transaction_id', 'is_fraud', 'reported_at'];

/** RFC 4180 quoting, only where needed. Our ids never need it; the function is here so a future column can't break CSV. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

// Hand-written rather than JSON.stringify(object): same output for these fields, about twice as fast, and the key
// order is fixed here rather than by object construction order elsewhere.
export function transactionJsonLine(e: SimulatedTransaction): string {
  return (
    `{"transaction_id":${JSON.stringify(e.transactionId)},"event_time":${e.eventTimeMs},` +
    `"customer_id":${JSON.stringify(e.customerId)},"terminal_id":${JSON.stringify(e.terminalId)},` +
    `"amount":${e.amount},"currency":${JSON.stringify(e.currency)}}\n`
  );
}

export function labelJsonLine(l: LabelEvent): string {
  return `{"transaction_id":${JSON.stringify(l.transactionId)},"is_fraud":${l.isFraud},"reported_at":${l.reportedAtMs}}\n`;
}

export function transactionCsvLine(e: SimulatedTransaction): string {
  return `${csvField(e.transactionId)},${e.eventTimeMs},${csvField(e.customerId)},${csvField(e.terminalId)},${e.amount},${csvField(e.currency)}\n`;
}

export function labelCsvLine(l: LabelEvent): string {
  return `${csvField(l.transactionId)},${l.isFraud},${l.reportedAtMs}\n`;
}

export interface RowFormat {
  readonly extension: string;
  /** Written once at the top of each file ('' for none). */
  readonly transactionHeader: string;
  readonly labelHeader: string;
  readonly transaction: (e: SimulatedTransaction) => string;
  readonly label: (l: LabelEvent) => string;
}

export function rowFormat(format: OutputFormat): RowFormat {
  switch (format) {
    case OutputFormat.Jsonl:
      return {
        extension: 'jsonl',
        transactionHeader: '',
        labelHeader: '',
        transaction: transactionJsonLine,
        label: labelJsonLine,
      };
    case OutputFormat.Csv:
      return {
        extension: 'csv',
        transactionHeader: `${TRANSACTION_COLUMNS.join(',')}\n`,
        labelHeader: `${LABEL_COLUMNS.join(',')}\n`,
        transaction: transactionCsvLine,
        label: labelCsvLine,
      };
  }
}
