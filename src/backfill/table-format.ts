/**
 * File formats of the training table. Parquet is the default: typed columns (no number-to-text round trip), a
 * fraction of the bytes, and cheaper to write than CSV text. CSV stays for tools that want text and for the tables
 * that models were trained on before Parquet (their cards record the SHA-256 of CSV bytes).
 */
export const TableFormat = { Parquet: 'parquet', Csv: 'csv' } as const;
export type TableFormat = (typeof TableFormat)[keyof typeof TableFormat];

export const DEFAULT_TABLE_FORMAT: TableFormat = TableFormat.Parquet;

export function isTableFormat(value: unknown): value is TableFormat {
  return value === TableFormat.Parquet || value === TableFormat.Csv;
}
