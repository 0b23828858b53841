import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { LabelIndex, labelBatchOf } from '../../../src/backfill/label-index.js';
import { createParquetTableEncoder } from '../../../src/backfill/parquet-table.js';
import { splitOf } from '../../../src/backfill/split.js';
import { tableColumns, type RowCounts, type TableRows } from '../../../src/backfill/table-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudscore-parquet-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FEATURES = ['f_count', 'f_ratio'];
const columns = tableColumns(FEATURES);
const T0 = Date.UTC(2024, 0, 1);

/** Rows `from`..`to - 1`: ids tx-<i>, c-<i % 3>, t-<i % 2>; features i and a double no short decimal holds. */
function rowsOf(from: number, to: number): TableRows {
  let ids = '';
  const n = to - from;
  const idEnds = new Uint32Array(3 * n);
  const eventTimesMs = new Float64Array(n);
  const values = new Float64Array(2 * n);
  for (let j = 0; j < n; j++) {
    const i = from + j;
    for (const [k, id] of [`tx-${i}`, `c-${i % 3}`, `t-${i % 2}`].entries()) {
      ids += id;
      idEnds[3 * j + k] = ids.length;
    }
    eventTimesMs[j] = T0 + i * 60_000;
    values[2 * j] = i;
    values[2 * j + 1] = i / 3 + 0.1;
  }
  return { ids, idEnds, eventTimesMs, values, featureCount: 2 };
}

function write(name: string, batches: readonly [number, number][], rowGroupRows: number) {
  const labels = new LabelIndex();
  labels.add(
    labelBatchOf([
      { transactionId: 'tx-1', isFraud: true, reportedAtMs: T0 + 5 },
      { transactionId: 'tx-4', isFraud: false, reportedAtMs: T0 + 9 },
      { transactionId: 'tx-5', isFraud: true, reportedAtMs: T0 + 10 ** 9 },
    ]),
  );
  const path = join(dir, name);
  const counts: RowCounts = { train: 0, valid: 0, test: 0, positives: 0, reusedIdRows: 0 };
  const encoder = createParquetTableEncoder(path, columns, rowGroupRows);
  for (const [from, to] of batches) encoder.append(rowsOf(from, to), labels, T0 + 1000, counts);
  const summary = encoder.close();
  return { path, summary, counts };
}

describe('Parquet training table', () => {
  it('writes fixed-size row groups across batches, with typed columns and the exact values', async () => {
    const { path, summary, counts } = write(
      'a.parquet',
      [
        [0, 5],
        [5, 6],
        [6, 11],
      ],
      4,
    );
    const bytes = readFileSync(path);
    assert.equal(summary.bytes, bytes.length);
    assert.equal(summary.sha256, createHash('sha256').update(bytes).digest('hex'));
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const metadata = parquetMetadata(file);
    assert.deepEqual(
      metadata.row_groups.map((group) => Number(group.num_rows)),
      [4, 4, 3],
    );
    const types = Object.fromEntries(metadata.schema.slice(1).map((e) => [e.name, [e.type, e.repetition_type]]));
    assert.deepEqual(types, {
      transaction_id: ['BYTE_ARRAY', 'REQUIRED'],
      event_time_ms: ['INT64', 'REQUIRED'],
      customer_id: ['BYTE_ARRAY', 'REQUIRED'],
      terminal_id: ['BYTE_ARRAY', 'REQUIRED'],
      f_count: ['DOUBLE', 'REQUIRED'],
      f_ratio: ['DOUBLE', 'REQUIRED'],
      label: ['INT32', 'REQUIRED'],
      label_reported_at_ms: ['INT64', 'OPTIONAL'],
      split: ['BYTE_ARRAY', 'REQUIRED'],
    });

    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    assert.equal(rows.length, 11);
    rows.forEach((row, i) => {
      assert.deepEqual(Object.keys(row), columns);
      assert.equal(row.transaction_id, `tx-${i}`);
      assert.equal(row.customer_id, `c-${i % 3}`);
      assert.equal(row.terminal_id, `t-${i % 2}`);
      assert.equal(row.event_time_ms, BigInt(T0 + i * 60_000));
      assert.equal(row.f_count, i);
      assert.equal(row.f_ratio, i / 3 + 0.1);
      assert.equal(row.split, splitOf(`tx-${i}`));
    });
    // tx-1 fraud by the as-of time; tx-4 confirmed legitimate; tx-5's fraud report comes after the as-of time.
    assert.deepEqual(rows.map((row) => [row.label, row.label_reported_at_ms]).slice(0, 6), [
      [0, null],
      [1, BigInt(T0 + 5)],
      [0, null],
      [0, null],
      [0, BigInt(T0 + 9)],
      [0, null],
    ]);
    assert.equal(counts.positives, 1);
    assert.equal(counts.train + counts.valid + counts.test, 11);
  });

  it('gives the same bytes whatever the batching', () => {
    const one = write('one.parquet', [[0, 11]], 4);
    const many = write(
      'many.parquet',
      [
        [0, 1],
        [1, 2],
        [2, 9],
        [9, 11],
      ],
      4,
    );
    assert.equal(many.summary.sha256, one.summary.sha256);
  });
});
