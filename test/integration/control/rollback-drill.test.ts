import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRollbackDrill, runRollbackDrill } from '../../support/rollback-drill.js';

/**
 * The rollback drill, short (CI): two workers under a stream, a challenger at 25 %, the kill switch flipped at a
 * random moment. load-tests/rollback-drill.ts runs the long version and prints exact figures.
 */
describe('rollback drill (2 workers, real stack)', () => {
  it('switches every worker to the rollback target in well under 60 s, losing and duplicating nothing', async () => {
    const result = await runRollbackDrill({
      events: 4000,
      chunk: 200,
      chunkPauseMs: 100,
      challengerPercent: 25,
      flipBetween: [0.3, 0.6],
    });
    const report = formatRollbackDrill(result).join('\n');
    console.log(report);
    assert.equal(result.lost, 0, report);
    assert.equal(result.duplicated, 0, report);
    assert.equal(result.wrongAfterEffect, 0, report);
    assert.ok(result.challengerRecordsBefore > 0, 'the challenger decided records before the flip');
    assert.ok(result.killedRecords > 0, 'records were scored under the kill');
    // The goal is 60 s; the CI bound is the goal itself (timing assertions stay generous on a shared machine).
    assert.ok(result.fullEffectMs < 60_000, report);
  });
});
