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
});
