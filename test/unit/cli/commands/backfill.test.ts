import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startCli } from '../../../support/cli.js';
import { waitFor } from '../../../support/wait-for.js';

describe('fraudscore backfill', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-backfill-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('explains brokers that cannot be reached as `run` does: the field, the address, the cause and the fix', () => {
    const out = join(dir, 'table.csv');
    // Nothing listens on port 1: the connection is refused at once (kafkajs still retries for a few seconds).
    const result = spawnSync(
      process.execPath,
      [
        'dist/src/cli/main.js',
        'backfill',
        '-t',
        'topologies/card-payments.yaml',
        '--events',
        'topic:',
        '--out',
        out,
        '--table-format',
        'csv',
        '--no-progress',
      ],
      { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' } },
    );
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.status, 1, output);
    assert.equal(
      output.trim(),
      'fraudscore: kafka.brokers: cannot connect to Kafka at 127.0.0.1:1 (ECONNREFUSED: nothing accepts connections ' +
        'there); check the host and port of each broker and that Kafka is running',
    );
    assert.equal(existsSync(out), false, 'no table is written');
  });

  it('names the flags of a table name that contradicts its format, and of a backwards window, writing nothing', () => {
    const events = join(dir, 'events.jsonl');
    writeFileSync(
      events,
      '{"transaction_id":"t1","event_time":1767600000000,"customer_id":"c","terminal_id":"k","amount":1,"currency":"EUR"}\n',
    );
    const backfill = (...args: string[]) => {
      const result = spawnSync(
        process.execPath,
        ['dist/src/cli/main.js', 'backfill', '-t', 'topologies/card-payments.yaml', '--events', events, ...args],
        { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } },
      );
      assert.equal(result.status, 1, `${result.stdout}${result.stderr}`);
      return result.stderr.trim();
    };
    const out = join(dir, 'x.csv');
    assert.equal(
      backfill('--out', out),
      `fraudscore: --out ${out}: the name says CSV, but the table would be Parquet (--table-format parquet, the ` +
        `default); add --table-format csv, or name the file ${join(dir, 'x.parquet')}`,
    );
    assert.equal(
      backfill('--out', join(dir, 'x.parquet'), '--from', '2026-02-01', '--to', '2026-01-01'),
      'fraudscore: --from/--to: --from 2026-02-01T00:00:00.000Z is not before --to 2026-01-01T00:00:00.000Z, so the ' +
        'window selects nothing (rows are for event times from --from up to, not including, --to); give a --to ' +
        'later than --from',
    );
    assert.deepEqual(readdirSync(dir), ['events.jsonl']);
  });

  it('stops at Ctrl-C between two batches: exit 130, no table, no manifest, no partial file, and says so', async () => {
    const events = join(dir, 'many-events.jsonl');
    // ~500,000 events: several seconds of work, so the signal comes while rows are being written.
    const file = createWriteStream(events);
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < 500_000; i++) {
      file.write(
        `{"transaction_id":"t${i}","event_time":${start + i * 1000},"customer_id":"c${i % 5000}",` +
          `"terminal_id":"k${i % 10000}","amount":${(i % 997) + 1},"currency":"EUR"}\n`,
      );
    }
    file.end();
    await finished(file);
    const out = join(dir, 'interrupted.parquet');
    const backfill = startCli(['backfill', '-t', 'topologies/card-payments.yaml', '--events', events, '--out', out]);
    await waitFor(
      'the partial table file',
      () => Promise.resolve(existsSync(`${out}.partial`) ? true : undefined),
      30_000,
    );
    backfill.child.kill('SIGINT');
    assert.equal(await backfill.exited, 130, backfill.output());
    assert.match(backfill.output(), new RegExp(`backfill: interrupted \\(SIGINT\\): no table written to ${out}\n$`));
    assert.deepEqual(readdirSync(dir).sort(), ['events.jsonl', 'many-events.jsonl']);
    rmSync(events);
  });
});
