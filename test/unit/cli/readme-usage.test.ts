import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerCommands } from '../../../src/cli/commands/index.js';
import { usageLines, usageProblems } from '../../support/usage-lines.js';

const program = new Command('fraudscore');
registerCommands(program);

describe('README usage lines', () => {
  it('name commands that exist, show an option required as given, never in [brackets], and only options it has', () => {
    const lines = usageLines(program, readFileSync('README.md', 'utf8'));
    assert.ok(
      lines.some(({ line }) => line.startsWith('fraudscore rollout pause')),
      'the rollout lines are read',
    );
    assert.ok(
      lines.some(({ line }) => line.startsWith('fraudscore backfill')),
      'commands without subcommands are read',
    );
    assert.deepEqual(lines.flatMap(usageProblems), []);
  });

  it('are judged as the CLI parses them: a missing argument or a refused value is a problem, a placeholder is not', () => {
    const judged = (line: string) => usageLines(program, `\`\`\`\n${line}\n\`\`\`\n`).flatMap(usageProblems);
    assert.deepEqual(judged('fraudscore lint'), ['missing argument <files>; fraudscore lint: fraudscore lint']);
    assert.match(judged('fraudscore rollout start -t x.yaml --reason "a b"').join(), /^missing argument <model>; /);
    assert.match(
      judged('fraudscore kill-switch on -t x.yaml --reason r --wait soon').join(),
      /^--wait soon: expected seconds \(a number > 0 and <= 3600\) or a duration such as 90s; /,
    );
    assert.match(
      judged('fraudscore backfill -t x.yaml --events e.jsonl --labels l.jsonl --out t --table-format xml').join(),
      /^--table-format xml: not one of parquet, csv; /,
    );
    assert.deepEqual(judged('fraudscore kill-switch on|off -t x.yaml --reason "…" [--wait [seconds]]'), []);
    assert.deepEqual(judged('fraudscore rollout start <name>@<version> -t x.yaml --reason "r r" --wait=90s'), []);
  });
});
