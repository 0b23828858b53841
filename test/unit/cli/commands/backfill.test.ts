import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

describe('fraudscore backfill from topics', () => {
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
});
