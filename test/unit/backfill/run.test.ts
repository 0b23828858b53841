import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parquetReadObjects } from 'hyparquet';
import {
  BackfillEmptyError,
  BackfillInputError,
  runBackfill,
  DEFAULT_TABLE_FORMAT,
  splitOf,
  TableFormat,
  type BackfillOptions,
  type InputFingerprint,
  type SourceFingerprint,
} from '../../../src/backfill/index.js';
import type { LabelEvent, PositionedTransaction } from '../../../src/core/contract/events.js';
import { DAY_MS, FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { createFeatureEngine } from '../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../src/core/features/memory-state.js';
import { randomFeatureStream } from '../../support/feature-random-stream.js';
import { capturedOutput } from '../../support/captured-output.js';

const LABEL_DELAY_MS = 7 * DAY_MS;
const dir = mkdtempSync(join(tmpdir(), 'fraudscore-backfill-test-'));
const stream = randomFeatureStream({
  seed: 5,
  events: 1500,
  customers: 40,
  terminals: 10,
  partitions: 1,
  days: 60,
  maxBatch: 50,
});
// The file is one partition in line order: positions are line indexes.
const events: PositionedTransaction[] = stream.events.map((tx, i) => ({
  ...tx,
  position: { partition: 0, offset: i },
}));
const labels: readonly LabelEvent[] = stream.labels;
const paths = {
  eventsJsonl: join(dir, 'events.jsonl'),
  eventsCsv: join(dir, 'events.csv'),
  labels: join(dir, 'labels.jsonl'),
};

async function backfill(out: string, extra: Partial<BackfillOptions> = {}) {
  return runBackfill({
    events: paths.eventsJsonl,
    labels: paths.labels,
    out: join(dir, out),
    labelDelayMs: LABEL_DELAY_MS,
    batchSize: 97,
    stdout: null,
    stderr: null,
    // Most cases read the table back as text; the Parquet case below asks for Parquet, the default.
    tableFormat: TableFormat.Csv,
    ...extra,
  });
}

function readTable(path: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: header!.split(','), rows: rows.map((row) => row.split(',')) };
}

/** File inputs are fingerprinted by content. */
const fileDigest = (fingerprint: SourceFingerprint | undefined) => (fingerprint as InputFingerprint).sha256;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

before(() => {
  writeFileSync(
    paths.eventsJsonl,
    events
      .map((tx) =>
        JSON.stringify({
          transaction_id: tx.transactionId,
          event_time: tx.eventTimeMs,
          customer_id: tx.customerId,
          terminal_id: tx.terminalId,
          amount: tx.amountMinor / 100,
          currency: tx.currency,
        }),
      )
      .join('\n') + '\n',
  );
  writeFileSync(
    paths.eventsCsv,
    'transaction_id,event_time,customer_id,terminal_id,amount,currency\n' +
      events
        .map(
          (tx) =>
            `${tx.transactionId},${new Date(tx.eventTimeMs).toISOString()},${tx.customerId},${tx.terminalId},${tx.amountMinor / 100},EUR`,
        )
        .join('\n') +
      '\n',
  );
  writeFileSync(
    paths.labels,
    labels
      .map((l) => JSON.stringify({ transaction_id: l.transactionId, is_fraud: l.isFraud, reported_at: l.reportedAtMs }))
      .join('\n'),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('runBackfill', () => {
  it('writes the engine rows, labels and splits, and a manifest that describes the table exactly', async () => {
    const result = await backfill('a/table.csv');
    const { header, rows } = readTable(result.tablePath);
    assert.deepEqual(header, [
      'transaction_id',
      'event_time_ms',
      'customer_id',
      'terminal_id',
      ...FEATURE_SCHEMA.names,
      'label',
      'label_reported_at_ms',
      'split',
    ]);
    assert.equal(rows.length, events.length);

    // The same engine, labels first, events in one go: the table must hold exactly these numbers.
    const engine = createFeatureEngine({ state: createMemoryFeatureState(), labelDelayMs: LABEL_DELAY_MS });
    await engine.ingestLabels(labels);
    const expected = await engine.featurize(events);
    const asOf = Math.max(...labels.map((l) => l.reportedAtMs));
    const fraudAt = new Map<string, number>();
    for (const l of labels) {
      if (l.isFraud) fraudAt.set(l.transactionId, Math.min(fraudAt.get(l.transactionId) ?? Infinity, l.reportedAtMs));
    }
    rows.forEach((row, i) => {
      const tx = events[i]!;
      assert.equal(row[0], tx.transactionId);
      assert.equal(Number(row[1]), tx.eventTimeMs);
      // Shortest round-trip formatting: parsing the text gives back the very same doubles.
      assert.deepEqual(row.slice(4, 19).map(Number), Array.from(expected[i]!.values), tx.transactionId);
      const fraud = fraudAt.get(tx.transactionId);
      assert.equal(row[19], fraud !== undefined ? '1' : '0', `label of ${tx.transactionId}`);
      if (fraud !== undefined) assert.equal(Number(row[20]), fraud);
      assert.equal(row[21], splitOf(tx.transactionId));
    });

    const { manifest } = result;
    assert.equal(manifest.rows, events.length);
    assert.equal(manifest.eventsRead, events.length);
    assert.equal(manifest.labelsRead, labels.length);
    assert.equal(manifest.labelAsOfMs, asOf);
    assert.equal(manifest.featureSchemaVersion, FEATURE_SCHEMA.version);
    assert.deepEqual(manifest.featureNames, FEATURE_SCHEMA.names);
    assert.equal(manifest.table.sha256, sha256(result.tablePath));
    assert.equal(fileDigest(manifest.inputs.events), sha256(paths.eventsJsonl));
    assert.equal(fileDigest(manifest.inputs.labels[0]), sha256(paths.labels));
    assert.equal(manifest.splits.train + manifest.splits.valid + manifest.splits.test, events.length);
    assert.ok(manifest.positiveRows > 50, `${manifest.positiveRows} positive rows`);
    assert.deepEqual(JSON.parse(readFileSync(result.manifestPath, 'utf8')), manifest);
    assert.deepEqual(readdirSync(join(dir, 'a')).sort(), ['table.csv', 'table.csv.manifest.json']);
  });

  it('is reproducible byte for byte, from JSON Lines or CSV, whatever the batch size or thread use', async () => {
    const first = await backfill('r1/table.csv');
    const second = await backfill('r2/table.csv', { batchSize: 4096 });
    const fromCsv = await backfill('r3/table.csv', { events: paths.eventsCsv });
    const oneThread = await backfill('r4/table.csv', { writerThread: false });
    assert.equal(readFileSync(oneThread.tablePath, 'utf8'), readFileSync(first.tablePath, 'utf8'));
    assert.equal(readFileSync(oneThread.manifestPath, 'utf8'), readFileSync(first.manifestPath, 'utf8'));
    assert.equal(readFileSync(second.tablePath, 'utf8'), readFileSync(first.tablePath, 'utf8'));
    assert.equal(readFileSync(second.manifestPath, 'utf8'), readFileSync(first.manifestPath, 'utf8'));
    assert.equal(fromCsv.manifest.table.sha256, first.manifest.table.sha256);
    assert.notEqual(fileDigest(fromCsv.manifest.inputs.events), fileDigest(first.manifest.inputs.events));
  });

  it('writes Parquet by default: the same rows and exact doubles as the CSV, reproducible byte for byte', async () => {
    const csv = await backfill('pq/table.csv');
    assert.equal(DEFAULT_TABLE_FORMAT, TableFormat.Parquet);
    const defaults = { tableFormat: DEFAULT_TABLE_FORMAT };
    const parquet = await backfill('pq/table.parquet', defaults);
    const again = await backfill('pq2/table.parquet', { ...defaults, batchSize: 4096, writerThread: false });
    assert.equal(sha256(again.tablePath), sha256(parquet.tablePath));
    assert.equal(parquet.manifest.table.sha256, sha256(parquet.tablePath));
    assert.equal(parquet.manifest.table.bytes, readFileSync(parquet.tablePath).length);
    assert.equal(parquet.manifest.formatVersion, 2);
    assert.equal(parquet.manifest.table.format, 'parquet');
    // A CSV manifest keeps the bytes it had before Parquet existed: version 1, no format key.
    assert.equal(csv.manifest.formatVersion, 1);
    assert.equal('format' in csv.manifest.table, false);
    assert.deepEqual(parquet.manifest.table.columns, csv.manifest.table.columns);
    assert.deepEqual(parquet.manifest.splits, csv.manifest.splits);
    assert.equal(parquet.manifest.positiveRows, csv.manifest.positiveRows);

    const bytes = readFileSync(parquet.tablePath);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const read = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    const { header, rows } = readTable(csv.tablePath);
    assert.equal(read.length, rows.length);
    read.forEach((record, i) => {
      assert.deepEqual(Object.keys(record), header);
      const asText = header.map((name) => {
        const value = record[name];
        return value === null ? '' : typeof value === 'bigint' ? String(Number(value)) : String(value);
      });
      // String(double) is the CSV's own formatting: equal text means the very same doubles.
      assert.deepEqual(asText, rows[i], `row ${i}`);
    });
  });

  it('leaves a retried transaction (its id again within the horizon) out of the table and counts it', async () => {
    const path = join(dir, 'retried.jsonl');
    const line = (id: string, t: number, amount: number) =>
      JSON.stringify({
        transaction_id: id,
        event_time: t,
        customer_id: 'c',
        terminal_id: 't',
        amount,
        currency: 'EUR',
      });
    const t0 = Date.UTC(2024, 0, 10);
    writeFileSync(path, [line('a', t0, 1), line('a', t0, 1), line('b', t0 + 60_000, 3)].join('\n') + '\n');
    const result = await backfill('dup/table.csv', { events: path, labels: [] });
    const { rows } = readTable(result.tablePath);
    assert.deepEqual(
      rows.map((row) => row[0]),
      ['a', 'b'],
    );
    assert.equal(rows[1]![4 + FEATURE_SCHEMA.names.indexOf('customer_nb_tx_1d')], '2', 'a counted once');
    assert.equal(result.manifest.duplicatesSkipped, 1);
    assert.equal(result.manifest.eventsRead, 3);
    // A manifest of duplicate-free input has no such key (its bytes stay what model cards recorded).
    assert.equal('duplicatesSkipped' in (await backfill('nodup/table.csv')).manifest, false);
  });

  it('gives an id reused beyond the horizon no label of the id: its labels belong to the first recording', async () => {
    const path = join(dir, 'reused.jsonl');
    const labelsPath = join(dir, 'reused-labels.jsonl');
    const line = (id: string, time: string, customer: string, terminal: string) =>
      JSON.stringify({
        transaction_id: id,
        event_time: time,
        customer_id: customer,
        terminal_id: terminal,
        amount: 30,
        currency: 'EUR',
      });
    writeFileSync(
      path,
      [
        line('tx-A', '2026-01-05T06:00:00Z', 'c1', 't1'),
        line('tx-B', '2026-01-06T06:00:00Z', 'c2', 't1'),
        line('tx-A', '2026-01-08T06:06:34Z', 'c3', 't2'),
        line('tx-C', '2026-01-09T06:00:00Z', 'c4', 't3'),
      ].join('\n') + '\n',
    );
    const reportedAt = Date.parse('2026-01-05T08:00:00Z');
    writeFileSync(
      labelsPath,
      JSON.stringify({ transaction_id: 'tx-A', is_fraud: true, reported_at: '2026-01-05T08:00:00Z' }) +
        '\n' +
        JSON.stringify({ transaction_id: 'tx-C', is_fraud: false, reported_at: '2026-01-09T08:00:00Z' }) +
        '\n',
    );
    const targets = (rows: string[][]) => rows.map((row) => [row[0], row[2], row[19], row[20]]);
    const whole = await backfill('reused/table.csv', { events: path, labels: labelsPath });
    assert.deepEqual(targets(readTable(whole.tablePath).rows), [
      ['tx-A', 'c1', '1', String(reportedAt)],
      ['tx-B', 'c2', '0', ''],
      ['tx-A', 'c3', '0', ''],
      ['tx-C', 'c4', '0', String(Date.parse('2026-01-09T08:00:00Z'))],
    ]);
    assert.equal(whole.manifest.reusedIdRows, 1);
    assert.equal(whole.manifest.positiveRows, 1);
    // Whatever the batching and the thread, and when the first recording is outside the rows written.
    for (const [out, extra] of [
      ['reused1/table.csv', { batchSize: 1 }],
      ['reused2/table.csv', { batchSize: 2, writerThread: false }],
    ] as const) {
      const again = await backfill(out, { events: path, labels: labelsPath, ...extra });
      assert.equal(again.manifest.table.sha256, whole.manifest.table.sha256, out);
    }
    for (const batchSize of [1, 2, 3, 4]) {
      const windowed = await backfill(`reused-from-${batchSize}/table.csv`, {
        events: path,
        labels: labelsPath,
        fromMs: Date.parse('2026-01-06T00:00:00Z'),
        batchSize,
      });
      assert.deepEqual(
        targets(readTable(windowed.tablePath).rows),
        targets(readTable(whole.tablePath).rows).slice(1),
        `batch size ${batchSize}`,
      );
      assert.equal(windowed.manifest.reusedIdRows, 1);
    }
    // A manifest without such rows has no such key (its bytes stay what model cards recorded).
    assert.equal('reusedIdRows' in (await backfill('noreuse/table.csv')).manifest, false);
  });

  it('writes only rows in [from, to) but lets earlier events feed their windows', async () => {
    const all = readTable((await backfill('f1/table.csv')).tablePath).rows;
    const fromMs = events[600]!.eventTimeMs;
    const toMs = events[900]!.eventTimeMs;
    const result = await backfill('f2/table.csv', { fromMs, toMs });
    const { rows } = readTable(result.tablePath);
    const expected = all.filter((row) => Number(row[1]) >= fromMs && Number(row[1]) < toMs);
    assert.ok(expected.length > 250);
    assert.deepEqual(rows, expected);
    assert.deepEqual(result.manifest.eventTime.filter, { fromMs, toMs });
    assert.equal(result.manifest.eventsRead, events.length);
  });

  it('knows only the labels reported by the as-of time', async () => {
    const asOf = events[700]!.eventTimeMs;
    const { rows } = readTable((await backfill('l/table.csv', { labelAsOfMs: asOf })).tablePath);
    const known = new Set(labels.filter((l) => l.isFraud && l.reportedAtMs <= asOf).map((l) => l.transactionId));
    const later = labels.filter((l) => l.isFraud && l.reportedAtMs > asOf && !known.has(l.transactionId));
    assert.ok(later.length > 10, 'some fraud is reported after the as-of time');
    assert.equal(rows.length, events.length, 'a row per event');
    assert.ok(
      rows.some((row) => row[19] === '1'),
      'frauds known by the as-of time are labelled',
    );
    for (const row of rows) {
      assert.equal(row[19], known.has(row[0]!) ? '1' : '0', row[0]);
      if (row[19] === '1') assert.ok(Number(row[20]) <= asOf);
    }
  });

  it('prints the manifest and the timing, and leaves no table behind when the input is bad', async () => {
    const out = capturedOutput();
    await backfill('p/table.csv', { stdout: out.stream });
    assert.match(out.text(), /"kind": "fraudscore.training-table"/);
    assert.match(out.text(), /backfill: 1500 events, 1500 rows in [\d.]+ s \(\d+ events\/s\)/);

    const bad = join(dir, 'bad.jsonl');
    const lines = readFileSync(paths.eventsJsonl, 'utf8').split('\n');
    lines[1200] = lines[1200]!.replace('"currency":"EUR"', '"currency":"euro"');
    writeFileSync(bad, lines.join('\n'));
    await assert.rejects(backfill('bad/table.csv', { events: bad }), (error: unknown) => {
      assert.ok(error instanceof BackfillInputError);
      assert.equal(
        error.message,
        'bad.jsonl:1201:currency: violates the contract (INVALID_FIELD, as the pipeline dead-letters it): ' +
          'currency must be an ISO 4217 code of three upper-case letters',
      );
      return true;
    });
    assert.equal(existsSync(join(dir, 'bad', 'table.csv')), false);
    assert.deepEqual(readdirSync(join(dir, 'bad')), []);
  });

  it('writes no table from events that hold none, saying which input is empty and how', async () => {
    const refused = async (name: string, content: string, out: string, check: (error: unknown) => boolean) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      await assert.rejects(backfill(`${out}/table.csv`, { events: path }), check);
      assert.deepEqual(readdirSync(join(dir, out)), [], 'no table, manifest or partial file');
      return path;
    };
    const empty = (path: () => string, what: string) => (error: unknown) => {
      assert.ok(error instanceof BackfillEmptyError, String(error));
      assert.equal(error.option, `--events ${path()}`);
      assert.equal(
        error.message,
        `--events ${path()}: ${what}; give a file with the transactions to build the table from`,
      );
      return true;
    };
    await refused(
      'empty.jsonl',
      '',
      'e1',
      empty(() => join(dir, 'empty.jsonl'), 'the file is empty (0 bytes)'),
    );
    await refused(
      'blank.jsonl',
      '\n\n',
      'e2',
      empty(() => join(dir, 'blank.jsonl'), 'the file holds no event (2 bytes of blank lines or a header)'),
    );
    const header = 'transaction_id,event_time,customer_id,terminal_id,amount,currency\n';
    await refused(
      'header.csv',
      header,
      'e3',
      empty(
        () => join(dir, 'header.csv'),
        `the file holds no event (${header.length} bytes of blank lines or a header)`,
      ),
    );
    // A CSV file without even a header fails the header check, as a wrong header does.
    await refused('empty.csv', '', 'e4', (error) => {
      assert.ok(error instanceof BackfillInputError, String(error));
      assert.equal(
        error.message,
        'empty.csv:1:(header): no header line (the file is empty); a CSV input starts with a header naming ' +
          'transaction_id, event_time, customer_id, terminal_id, amount, currency',
      );
      return true;
    });
  });

  it('writes no table when --from/--to selects none of the events, naming the window and where the events are', async () => {
    const first = events[0]!.eventTimeMs;
    const last = events.at(-1)!.eventTimeMs;
    const iso = (ms: number) => new Date(ms).toISOString();
    const span = `their event times run from ${iso(first)} to ${iso(last)}`;
    await assert.rejects(backfill('w1/table.csv', { fromMs: last + 1 }), (error: unknown) => {
      assert.ok(error instanceof BackfillEmptyError, String(error));
      assert.equal(
        error.message,
        `--from ${iso(last + 1)}: the window selects none of the ${events.length} events read (${span}); ` +
          'choose a window that overlaps them',
      );
      return true;
    });
    await assert.rejects(
      backfill('w2/table.csv', { fromMs: first - 2 * DAY_MS, toMs: first }),
      new RegExp(`^BackfillEmptyError: --from ${iso(first - 2 * DAY_MS)} --to ${iso(first)}: the window selects none`),
    );
    assert.deepEqual(readdirSync(join(dir, 'w1')), []);
    assert.deepEqual(readdirSync(join(dir, 'w2')), []);
  });

  it('warns on stderr when no row can be labelled fraud: no --labels, or labels of other transactions', async () => {
    const stderr = capturedOutput();
    await backfill('n1/table.csv', { stderr: stderr.stream });
    assert.equal(stderr.text(), '', 'labels that mark rows as fraud: no warning');

    const none = capturedOutput();
    const unlabelled = await backfill('n2/table.csv', { labels: [], stderr: none.stream });
    assert.equal(unlabelled.manifest.positiveRows, 0);
    assert.deepEqual(none.lines(), [
      'backfill: warning: no --labels given: every row is labelled genuine (label 0), a table no model can learn ' +
        "fraud from; pass --labels with the fraud reports (files, or topic: for the topology's labels topic)",
    ]);

    const other = join(dir, 'other-labels.jsonl');
    writeFileSync(other, '{"transaction_id":"elsewhere","is_fraud":true,"reported_at":1}\n');
    const unmatched = capturedOutput();
    await backfill('n3/table.csv', { labels: other, stderr: unmatched.stream });
    assert.deepEqual(unmatched.lines(), [
      'backfill: warning: no row is labelled fraud: of the 1 labels read (1 fraud), none marks a row of the table ' +
        'as fraud by the label-as-of time; check that --labels belongs to these --events',
    ]);
  });
});
