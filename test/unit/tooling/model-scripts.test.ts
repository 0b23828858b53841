import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_TABLE_FORMAT } from '../../../src/backfill/table-format.js';
import { validateModelCard } from '../../../src/core/models/card.js';

/** The scripts that build the committed models: each writes its tables with a backfill and trains on them. */
const SCRIPTS = ['scripts/make-challenger-model.sh', 'training/make-demo-model.sh'];

interface TableWrite {
  readonly out: string;
  /** The format the backfill writes: --table-format, else the backfill's default. */
  readonly format: string;
}

/** The tables a script's backfills write (shell continuation lines joined). */
function tableWrites(script: string): TableWrite[] {
  const commands = readFileSync(script, 'utf8').replace(/\\\n/g, ' ').split('\n');
  return (
    commands
      // The scripts run the CLI as "${cli[@]}" (node dist/src/cli/main.js).
      .filter((command) => /^\s*"\$\{cli\[@\]\}"\s+backfill\s/.test(command))
      .map((command) => {
        const out = /--out\s+"?([^"\s]+)"?/.exec(command)?.[1];
        assert.ok(out, `${script}: a backfill without --out: ${command}`);
        return { out, format: /--table-format\s+(\S+)/.exec(command)?.[1] ?? DEFAULT_TABLE_FORMAT };
      })
  );
}

describe('model-building scripts', () => {
  for (const script of SCRIPTS) {
    it(`${script} names each table it writes by the format it is written in`, () => {
      const writes = tableWrites(script);
      assert.ok(writes.length >= 2, `${script}: expected a training and a reference table`);
      for (const { out, format } of writes) assert.ok(out.endsWith(`.${format}`), `${out} is written as ${format}`);
    });
  }

  it('scripts/make-challenger-model.sh writes the tables card-fraud@2 was trained on: CSV (its card names no format)', () => {
    const card = validateModelCard(JSON.parse(readFileSync('registry/card-fraud/2/card.json', 'utf8')));
    assert.ok(card.ok, card.ok ? '' : card.problems.join('; '));
    // A card that records no table format was trained on CSV tables (written before Parquet was the default).
    const format = card.card.dataset.backfill?.tableFormat ?? 'csv';
    for (const write of tableWrites('scripts/make-challenger-model.sh')) assert.equal(write.format, format, write.out);
  });
});
