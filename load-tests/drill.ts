/**
 * Fault drill: proves invariant 3 (every input gets exactly one outcome, for read_committed readers) while a worker is
 * SIGKILLed at random moments, the broker restarts, Redis dies and restarts, the schema registry goes away (keeping
 * or losing its schemas) and a second worker joins and one dies. Runs against a stack of its own (ports 2xxxx, state
 * .fraudscore/drill-stack: test/support/drill/env.ts), never the development stack, and talks only to 127.0.0.1.
 *
 *   node dist/load-tests/drill.js [--events 20000] [--kills 20] [--scenarios kill,broker,redis,registry,rebalance]
 *                                 [--seed N] [--redis-no-aof] [--no-classify] [--keep-stack] [--time-limit-s S]
 *
 * --redis-no-aof runs Redis without its append-only file: a Redis restart then empties the feature state, the worker
 * pauses scoring (the absorbed-offset marker is gone), and the drill does what the paged operator does: runs
 * `fraudscore state rebuild` on the topology, then checks every score's features against an uninterrupted run.
 *
 * Prints what survived and the accounting; exits 0 only if lost = 0, duplicated = 0 and every check passed.
 */
import '../test/support/drill/env.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport } from '../test/support/drill/report.js';
import { EXTRA_SCENARIOS, runDrill, SCENARIOS, type Scenario } from '../test/support/drill/run.js';
import { StackControl } from '../test/support/drill/stack-control.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    kills: { type: 'string', default: '20' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    seed: { type: 'string' },
    'redis-no-aof': { type: 'boolean', default: false },
    'no-classify': { type: 'boolean', default: false },
    'keep-stack': { type: 'boolean', default: false },
    'time-limit-s': { type: 'string' },
  },
});

const scenarios = String(args.scenarios)
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = scenarios.filter((s) => ![...SCENARIOS, ...EXTRA_SCENARIOS].includes(s as Scenario));
const events = Number(args.events);
const kills = Number(args.kills);
if (unknown.length > 0 || !(events >= 1000 && events <= 1_000_000) || !(kills >= 0 && kills <= 200)) {
  console.error(
    `usage: drill.js --events 1000..1000000 --kills 0..200 --scenarios ${SCENARIOS.join(',')}[,${EXTRA_SCENARIOS.join(',')}]` +
      (unknown.length > 0 ? `\nunknown scenario: ${unknown.join(', ')}` : ''),
  );
  process.exit(2);
}

const stack = new StackControl();
const wasRunning = {
  kafka: await stack.running('kafka'),
  registry: await stack.running('registry'),
  redis: await stack.running('redis'),
};
const logDir = mkdtempSync(join(tmpdir(), 'fraudscore-drill-'));
const report = await runDrill({
  events,
  kills,
  scenarios: scenarios as Scenario[],
  ...(args.seed ? { seed: Number(args.seed) } : {}),
  redisAppendOnly: !args['redis-no-aof'],
  classifyKills: !args['no-classify'],
  ...(args['time-limit-s'] ? { timeLimitMs: Number(args['time-limit-s']) * 1000 } : {}),
  logDir,
  log: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
});
process.stdout.write(formatReport(report));
process.stdout.write(`worker logs: ${logDir}\n`);

// Leave the stack as found: services this drill started are stopped (their state is the drill's own).
const started = (Object.keys(wasRunning) as (keyof typeof wasRunning)[]).filter((s) => !wasRunning[s]);
if (!args['keep-stack'] && started.length > 0) {
  process.stdout.write(`stopping the drill stack services this drill started: ${started.join(' ')}\n`);
  await stack.down(...started);
}
process.exit(report.ok ? 0 : 1);
