/**
 * Rollback drill under load against the running stack: two workers score a stream with card-fraud@2 at 25 %, the
 * kill switch is flipped at a random moment, and the drill prints the time to full effect per worker and checks that
 * no record was lost or scored twice and that every record after the effect was decided by the rollback target.
 * The result is written to docs/drills/rollback-drill.json, which `fraudscore docs runbook` quotes.
 *
 *   node dist/load-tests/rollback-drill.js [--events 40000] [--chunk 500] [--pause-ms 50] [--percent 25]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatRollbackDrill, runRollbackDrill } from '../test/support/rollback-drill.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '40000' },
    chunk: { type: 'string', default: '500' },
    'pause-ms': { type: 'string', default: '50' },
    percent: { type: 'string', default: '25' },
    out: { type: 'string', default: 'docs/drills/rollback-drill.json' },
  },
});

const result = await runRollbackDrill({
  events: Number(args.events),
  chunk: Number(args.chunk),
  chunkPauseMs: Number(args['pause-ms']),
  challengerPercent: Number(args.percent),
  flipBetween: [0.2, 0.8],
  log: (line) => console.log(line),
});
for (const line of formatRollbackDrill(result)) console.log(line);
mkdirSync('docs/drills', { recursive: true });
writeFileSync(String(args.out), `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
console.log(`written ${String(args.out)}`);
process.exit(result.ok ? 0 : 1);
