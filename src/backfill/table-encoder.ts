import { createCsvTableEncoder } from './csv-table.js';
import { createParquetTableEncoder } from './parquet-table.js';
import { TableFormat } from './table-format.js';
import type { TableEncoder } from './table-rows.js';

export type { TableEncoder } from './table-rows.js';

/** The encoder of a format, writing to `path` (created or truncated). */
export function createTableEncoder(format: TableFormat, path: string, columns: readonly string[]): TableEncoder {
  return format === TableFormat.Csv ? createCsvTableEncoder(path, columns) : createParquetTableEncoder(path, columns);
}
