import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BackfillOptionError } from '../../../src/backfill/errors.js';
import { fileLabelSource, fileTransactionSource, formatOf } from '../../../src/backfill/sources.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudscore-sources-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('file sources', () => {
  it('stream events in line order, in batches, and fingerprint the exact bytes (BOM, CRLF, blank lines)', async () => {
    const lines = Array.from(
      { length: 10 },
      (_, i) =>
        `{"transaction_id":"t${i}","event_time":${Date.UTC(2026, 0, 5) + i},"customer_id":"c","terminal_id":"k","amount":1,"currency":"EUR"}`,
    );
    const content = `\ufeff${lines.slice(0, 5).join('\r\n')}\r\n\r\n${lines.slice(5).join('\n')}`;
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, content);
    const source = fileTransactionSource(path);
    const batches = [];
    for await (const batch of source.batches(4)) batches.push(batch);
    assert.deepEqual(
      batches.map((b) => b.length),
      [4, 4, 2],
    );
    const events = batches.flat();
    assert.deepEqual(
      events.map((e) => e.transactionId),
      lines.map((_, i) => `t${i}`),
    );
    // The blank line (line 6) still counts: positions are line numbers - 1.
    assert.deepEqual(
      events.map((e) => e.position.offset),
      [0, 1, 2, 3, 4, 6, 7, 8, 9, 10],
    );
    assert.deepEqual(source.fingerprint(), {
      file: 'events.jsonl',
      bytes: Buffer.byteLength(content),
      sha256: createHash('sha256').update(content).digest('hex'),
    });
    assert.deepEqual(source.progress(), { done: Buffer.byteLength(content), total: Buffer.byteLength(content) });
  });

  it('read CSV labels and name the file and line of an error', async () => {
    const path = join(dir, 'labels.csv');
    writeFileSync(path, 'transaction_id,is_fraud,reported_at\nt1,1,5\nt2,maybe,6\n');
    const source = fileLabelSource(path);
    await assert.rejects(
      async () => {
        for await (const _ of source.batches(100));
      },
      { message: 'labels.csv:3:is_fraud: must be true, false, 1 or 0, got "maybe"' },
    );
  });

  it('fail the header check of a CSV file without a header line (0 bytes)', async () => {
    const path = join(dir, 'empty-labels.csv');
    writeFileSync(path, '');
    await assert.rejects(
      async () => {
        for await (const _ of fileLabelSource(path).batches(100));
      },
      {
        message:
          'empty-labels.csv:1:(header): no header line (the file is empty); a CSV input starts with a header naming ' +
          'transaction_id, is_fraud, reported_at',
      },
    );
  });

  it('check "event time at most 24 h ahead" against the clock given, by default the time the read starts', async () => {
    const path = join(dir, 'ahead.jsonl');
    const at = (eventTimeMs: number) =>
      `{"transaction_id":"t","event_time":${eventTimeMs},"customer_id":"c","terminal_id":"k","amount":1,"currency":"EUR"}`;
    const nowMs = Date.UTC(2026, 0, 10);
    const read = async (source: ReturnType<typeof fileTransactionSource>) => {
      const events = [];
      for await (const batch of source.batches(10)) events.push(...batch);
      return events;
    };
    writeFileSync(path, `${at(nowMs + 86_400_000)}\n`);
    assert.equal((await read(fileTransactionSource(path, undefined, nowMs))).length, 1);
    writeFileSync(path, `${at(nowMs + 86_400_001)}\n`);
    await assert.rejects(
      read(fileTransactionSource(path, undefined, nowMs)),
      /^BackfillInputError: ahead\.jsonl:1:event_time: violates the contract \(ABSURD_TIMESTAMP/,
    );
    writeFileSync(path, `${at(Date.now() + 2 * 86_400_000)}\n`);
    await assert.rejects(read(fileTransactionSource(path)), /ahead\.jsonl:1:event_time: violates the contract/);
  });

  it('check "reported_at at most 24 h ahead" as event time, against the clock given or the start of the read', async () => {
    const path = join(dir, 'ahead-labels.jsonl');
    const at = (reportedAtMs: number) => `{"transaction_id":"t","is_fraud":true,"reported_at":${reportedAtMs}}`;
    const nowMs = Date.UTC(2026, 0, 10);
    const read = async (source: ReturnType<typeof fileLabelSource>) => {
      const labels = [];
      for await (const batch of source.batches(10)) labels.push(...batch);
      return labels;
    };
    writeFileSync(path, `${at(nowMs + 86_400_000)}\n`);
    assert.equal((await read(fileLabelSource(path, undefined, nowMs))).length, 1);
    writeFileSync(path, `${at(nowMs + 86_400_001)}\n`);
    await assert.rejects(
      read(fileLabelSource(path, undefined, nowMs)),
      /^BackfillInputError: ahead-labels\.jsonl:1:reported_at: violates the contract \(ABSURD_TIMESTAMP/,
    );
    writeFileSync(path, `${at(Date.now() + 2 * 86_400_000)}\n`);
    await assert.rejects(read(fileLabelSource(path)), /ahead-labels\.jsonl:1:reported_at: violates the contract/);
  });

  it('tell the format from the extension, or refuse', () => {
    assert.equal(formatOf('a/b.CSV'), 'csv');
    assert.equal(formatOf('a/b.ndjson'), 'jsonl');
    assert.equal(formatOf('a/b.txt', 'csv'), 'csv');
    assert.throws(() => formatOf('a/b.txt'), BackfillOptionError);
  });
});
