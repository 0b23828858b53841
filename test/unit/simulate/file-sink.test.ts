import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OutputFormat, simulateToFiles } from '../../../src/simulate/index.js';

const small = { seed: 12, customers: 300, terminals: 200, days: 10 };
const dirs: string[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fraudscore-sim-'));
  dirs.push(dir);
  return dir;
}

const sha256 = async (path: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('simulateToFiles', () => {
  it('leaves the files of an earlier run as they were when a run generates no transaction', async () => {
    const dir = await freshDir();
    const first = await simulateToFiles({ outDir: dir, format: OutputFormat.Jsonl, simulation: small });
    const before = [await sha256(first.transactionsFile), await sha256(first.labelsFile)];
    // One customer and one terminal: none in reach of the other, so no payment is made.
    const empty = await simulateToFiles({
      outDir: dir,
      format: OutputFormat.Jsonl,
      simulation: { seed: 12, customers: 1, terminals: 1, days: 1 },
    });
    assert.equal(empty.summary.transactions, 0);
    assert.deepEqual([await sha256(first.transactionsFile), await sha256(first.labelsFile)], before);
    assert.deepEqual((await readdir(dir)).sort(), ['events.jsonl', 'labels.jsonl'], 'no partial file left');
  });

  it('writes JSON lines with the documented columns, matching the summary', async () => {
    const dir = await freshDir();
    const result = await simulateToFiles({ outDir: dir, format: OutputFormat.Jsonl, simulation: small });
    assert.deepEqual((await readdir(dir)).sort(), ['events.jsonl', 'labels.jsonl']);
    const events = (await readFile(result.transactionsFile, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const labels = (await readFile(result.labelsFile, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(events.length, result.summary.transactions);
    assert.equal(labels.length, result.summary.labels);
    assert.deepEqual(Object.keys(events[0]!), [
      'transaction_id',
      'event_time',
      'customer_id',
      'terminal_id',
      'amount',
      'currency',
    ]);
    assert.deepEqual(Object.keys(labels[0]!), ['transaction_id', 'is_fraud', 'reported_at']);
    assert.equal(labels.filter((l) => l.is_fraud === true).length, result.summary.frauds);
    for (let i = 1; i < labels.length; i++) {
      assert.ok((labels[i - 1]!.reported_at as number) <= (labels[i]!.reported_at as number), 'labels in time order');
    }
    for (const e of events) {
      assert.equal(typeof e.amount, 'number');
      assert.equal(Math.round((e.amount as number) * 100) / 100, e.amount, 'two decimals at most');
      assert.equal(e.currency, 'EUR');
    }
  });

  it('writes the same bytes twice for the same seed and options', async () => {
    const [a, b] = [await freshDir(), await freshDir()];
    const ra = await simulateToFiles({ outDir: a, format: OutputFormat.Jsonl, simulation: small });
    const rb = await simulateToFiles({ outDir: b, format: OutputFormat.Jsonl, simulation: small });
    assert.equal(await sha256(ra.transactionsFile), await sha256(rb.transactionsFile));
    assert.equal(await sha256(ra.labelsFile), await sha256(rb.labelsFile));
  });

  it('writes CSV with a header and the same rows as JSON lines', async () => {
    const dir = await freshDir();
    const result = await simulateToFiles({ outDir: dir, format: OutputFormat.Csv, simulation: small });
    const lines = (await readFile(result.transactionsFile, 'utf8')).trimEnd().split('\n');
    assert.equal(lines[0], 'transaction_id,event_time,customer_id,terminal_id,amount,currency');
    assert.equal(lines.length, result.summary.transactions + 1);
    assert.match(lines[1]!, /^tx-12-\d{10},\d{13},cust-\d{7},term-\d{7},\d+(\.\d{1,2})?,EUR$/);
    const labelLines = (await readFile(result.labelsFile, 'utf8')).trimEnd().split('\n');
    assert.equal(labelLines[0], 'transaction_id,is_fraud,reported_at');
    assert.match(labelLines[1]!, /^tx-12-\d{10},(true|false),\d{13}$/);
  });

  it('refuses hostile records, which only exist as Kafka bytes, and leaves no files behind on abort', async () => {
    const dir = await freshDir();
    await assert.rejects(
      simulateToFiles({ outDir: dir, format: OutputFormat.Jsonl, simulation: { ...small, invalidRate: 0.01 } }),
      /invalid-rate/,
    );
    assert.deepEqual(await readdir(dir), []);
    // An abort before the files have even opened races their asynchronous open (a tiny simulation reaches its first
    // record soonest): tried many times, none may be left.
    const tiny = { seed: 12, customers: 20, terminals: 20, days: 1 };
    for (let attempt = 0; attempt < 300; attempt++) {
      const aborted = await freshDir();
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await assert.rejects(
        simulateToFiles({ outDir: aborted, format: OutputFormat.Jsonl, simulation: tiny, signal: controller.signal }),
        /stop/,
      );
      assert.deepEqual(await readdir(aborted), [], `attempt ${attempt}`);
    }
  });
});
