import { ByteWriter, ParquetWriter, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import { forEachTargetedRow, type TableEncoder } from './table-rows.js';
import { HashingFileWriter } from './table-writer.js';

/**
 * Rows per Parquet row group. Fixed, so that the file's bytes depend on the rows only (never on how the backfill
 * batched them); large enough for good compression and few footer entries, small enough that a group's columns
 * (~12 MB at 15 features) stay a modest part of the backfill's memory.
 */
const ROW_GROUP_ROWS = 1 << 16;

/** Hands each encoded row group to the hashing file writer, then reuses its buffer. */
class HashingByteWriter extends ByteWriter {
  constructor(private readonly out: HashingFileWriter) {
    super(1 << 20);
  }

  flush(): void {
    this.out.raw(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

/** One row group's columns, filled row by row. */
interface Group {
  readonly transactionIds: string[];
  readonly customerIds: string[];
  readonly terminalIds: string[];
  readonly eventTimesMs: BigInt64Array;
  readonly features: Float64Array[];
  readonly labels: Int32Array;
  readonly reportedAtMs: (bigint | null)[];
  readonly splits: string[];
}

/**
 * The table as Parquet, same columns and order as the CSV: ids and split as UTF-8 strings, event_time_ms as INT64,
 * features as DOUBLE (bit-exact), label as INT32, label_reported_at_ms as nullable INT64; every column but
 * label_reported_at_ms is REQUIRED. Snappy-compressed with hyparquet-writer's defaults otherwise; the bytes are a
 * function of the rows and the library version (package-lock.json pins it), so the SHA-256 is reproducible.
 */
export function createParquetTableEncoder(
  path: string,
  columns: readonly string[],
  rowGroupRows = ROW_GROUP_ROWS,
): TableEncoder {
  const names = columns.slice(4, -3);
  const [txName, timeName, customerName, terminalName] = columns;
  const [labelName, reportedName, splitName] = columns.slice(-3);
  const text = (name: string): SchemaElement => ({
    name,
    type: 'BYTE_ARRAY',
    converted_type: 'UTF8',
    repetition_type: 'REQUIRED',
  });
  const schema: SchemaElement[] = [
    { name: 'root', num_children: columns.length },
    text(txName!),
    { name: timeName!, type: 'INT64', repetition_type: 'REQUIRED' },
    text(customerName!),
    text(terminalName!),
    ...names.map((name): SchemaElement => ({ name, type: 'DOUBLE', repetition_type: 'REQUIRED' })),
    { name: labelName!, type: 'INT32', repetition_type: 'REQUIRED' },
    { name: reportedName!, type: 'INT64', repetition_type: 'OPTIONAL' },
    text(splitName!),
  ];
  const out = new HashingFileWriter(path);
  const parquet = new ParquetWriter({ writer: new HashingByteWriter(out), schema, createdBy: 'fraudscore backfill' });
  const newGroup = (): Group => ({
    transactionIds: new Array<string>(rowGroupRows),
    customerIds: new Array<string>(rowGroupRows),
    terminalIds: new Array<string>(rowGroupRows),
    eventTimesMs: new BigInt64Array(rowGroupRows),
    features: names.map(() => new Float64Array(rowGroupRows)),
    labels: new Int32Array(rowGroupRows),
    reportedAtMs: new Array<bigint | null>(rowGroupRows),
    splits: new Array<string>(rowGroupRows),
  });
  let group = newGroup();
  let filled = 0;

  const writeGroup = () => {
    if (filled === 0) return;
    const n = filled;
    const cut = <T extends { length: number; slice(start: number, end: number): T }>(data: T): T =>
      data.length === n ? data : data.slice(0, n);
    const columnData: ColumnSource[] = [
      // Transaction ids are unique: plain, without the dictionary attempt. Min/max of the id columns would cost a
      // string comparison per value and serve no reader: no statistics for them.
      { name: txName!, data: cut(group.transactionIds), encoding: 'PLAIN', statistics: false },
      { name: timeName!, data: cut(group.eventTimesMs) },
      { name: customerName!, data: cut(group.customerIds), statistics: false },
      { name: terminalName!, data: cut(group.terminalIds), statistics: false },
      ...names.map((name, f): ColumnSource => ({ name, data: cut(group.features[f]!) })),
      { name: labelName!, data: cut(group.labels) },
      { name: reportedName!, data: cut(group.reportedAtMs) },
      { name: splitName!, data: cut(group.splits) },
    ];
    // The writer would split a longer input into groups of its own choosing: one call, one group of n rows.
    void parquet.write({ columnData, rowGroupSize: n });
    filled = 0;
  };

  return {
    append(rows, labels, asOfMs, counts) {
      const { values, featureCount, eventTimesMs } = rows;
      forEachTargetedRow(rows, labels, asOfMs, counts, (row, i) => {
        const r = filled++;
        group.transactionIds[r] = row.transactionId;
        group.customerIds[r] = row.customerId;
        group.terminalIds[r] = row.terminalId;
        group.eventTimesMs[r] = BigInt(eventTimesMs[i]!);
        for (let f = 0; f < featureCount; f++) group.features[f]![r] = values[i * featureCount + f]!;
        group.labels[r] = row.label;
        group.reportedAtMs[r] = Number.isNaN(row.labelReportedAtMs) ? null : BigInt(row.labelReportedAtMs);
        group.splits[r] = row.split;
        if (filled === rowGroupRows) {
          writeGroup();
          group = newGroup();
        }
      });
    },
    close() {
      writeGroup();
      void parquet.finish();
      return out.close();
    },
    abandon: () => out.abandon(),
  };
}
