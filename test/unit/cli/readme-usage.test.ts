import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerCommands } from '../../../src/cli/commands/index.js';

const program = new Command('fraudscore');
registerCommands(program);

/** README lines such as `fraudscore rollout pause|promote|abort -t <file> --reason "…"   # comment`. */
function usageLines(): { line: string; command: Command; subcommands: Command[] }[] {
  const found = [];
  for (const text of readFileSync('README.md', 'utf8').split('\n')) {
    const line = text.replace(/\s+#.*$/, '');
    const match = /^fraudscore (\S+) ([a-z-]+(?:\|[a-z-]+)*)(?:\s|$)/.exec(line);
    const command = match && program.commands.find((c) => c.name() === match[1]);
    if (!match || !command || command.commands.length === 0) continue;
    const subcommands = match[2]!.split('|').map((name) => command.commands.find((c) => c.name() === name));
    if (subcommands.every((c) => c !== undefined)) found.push({ line, command, subcommands: subcommands as Command[] });
  }
  return found;
}

describe('README usage lines', () => {
  it('show an option required by a subcommand as given, never in [brackets], and only options it has', () => {
    const lines = usageLines();
    assert.ok(
      lines.some(({ line }) => line.startsWith('fraudscore rollout pause')),
      'the rollout lines are read',
    );
    for (const { line, command, subcommands } of lines) {
      const bracketed = [...line.matchAll(/\[(--?[a-z-]+)/g)].map((m) => m[1]!);
      const given = [...line.matchAll(/(?:^|\s)(--?[a-z-]+)/g)].map((m) => m[1]!).filter((f) => !bracketed.includes(f));
      for (const subcommand of subcommands) {
        const where = `${command.name()} ${subcommand.name()}: ${line}`;
        for (const option of subcommand.options.filter((o) => o.mandatory)) {
          const spelt = [option.long, option.short].filter((f) => f !== undefined);
          assert.ok(
            spelt.some((f) => given.includes(f)),
            `${option.long} is required; ${where}`,
          );
        }
        for (const flag of [...given, ...bracketed]) {
          const known = subcommand.options.some((o) => o.long === flag || o.short === flag);
          assert.ok(known, `${flag} is no option; ${where}`);
        }
      }
    }
  });
});
