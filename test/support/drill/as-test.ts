import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatReport } from './report.js';
import { runDrill, type DrillOptions, type DrillReport } from './run.js';

/**
 * One short drill (test/support/drill/run.ts) as a test: the report is printed, and attached to the failure. Sized
 * for CI: a few thousand events, small batches (so that faults land inside transactions), every check of the drill.
 */
export async function drill(options: Partial<DrillOptions> & Pick<DrillOptions, 'scenarios'>): Promise<DrillReport> {
  const report = await runDrill({
    events: 2_000,
    kills: 0,
    logDir: mkdtempSync(join(tmpdir(), 'fraudscore-fault-')),
    timeLimitMs: 200_000,
    log: (line) => process.stdout.write(`${line}\n`),
    ...options,
  });
  const text = formatReport(report);
  process.stdout.write(text);
  assert.ok(report.ok, text);
  return report;
}
