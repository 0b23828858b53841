import type { Command, Option } from 'commander';

/** A `fraudscore …` command as a document gives it, and the CLI commands it names (one per `a|b` alternative). */
export interface UsageLine {
  readonly line: string;
  readonly commands: readonly Command[];
  /** A whole line, meant to be run as it stands: its required options must be given. */
  readonly complete: boolean;
}

/**
 * The `fraudscore …` commands of a document: each line of a fenced code block that starts with one (a trailing
 * `# comment` dropped, a line ending in a backslash joined with the next) and,
 * with `spans`, each one quoted in backticks inside a sentence (a mention, which may leave out required options).
 * A name that is no command or subcommand of `program` is reported as a line with no commands.
 */
export function usageLines(program: Command, text: string, { spans = false } = {}): UsageLine[] {
  const found: UsageLine[] = [];
  const read = (line: string, complete: boolean): void => {
    const match = /^fraudscore (\S+)(?:\s+(\S+))?/.exec(line);
    if (!match) return;
    const command = program.commands.find((c) => c.name() === match[1]);
    let commands: (Command | undefined)[] = [command];
    if (command && command.commands.length > 0) {
      commands = (match[2] ?? '').split('|').map((name) => command.commands.find((c) => c.name() === name));
    }
    found.push({ line, commands: commands.every((c) => c !== undefined) ? (commands as Command[]) : [], complete });
  };
  let fenced = false;
  let pending = '';
  for (const whole of text.split('\n')) {
    if (whole.startsWith('```')) fenced = !fenced;
    if (!fenced) continue;
    // A command continued on the next line (a trailing backslash) is read as one line.
    const line = pending + whole.replace(/\s+#.*$/, '');
    pending = line.endsWith('\\') ? `${line.slice(0, -1).trimEnd()} ` : '';
    if (!pending) read(line, true);
  }
  if (spans) for (const [, span] of text.matchAll(/`(fraudscore [^`]+)`/g)) read(span!, false);
  return found;
}

/**
 * What is wrong with a usage line: a name that is no command, a required option missing, an option not known; and, on
 * a whole line, a required argument missing or an option value the CLI would refuse (placeholders such as `<file>`,
 * `"…"` or `...` are not judged).
 */
export function usageProblems({ line, commands, complete }: UsageLine): string[] {
  if (commands.length === 0) return [`no such command: ${line}`];
  const bracketed = [...line.matchAll(/\[(--?[a-z-]+)/g)].map((m) => m[1]!);
  const given = [...line.matchAll(/(?:^|\s)(--?[a-z-]+)/g)].map((m) => m[1]!).filter((f) => !bracketed.includes(f));
  const problems: string[] = [];
  for (const command of commands) {
    const where = `${command.parent?.name()} ${command.name()}: ${line}`;
    if (complete) {
      for (const option of command.options.filter((o) => o.mandatory)) {
        const spelt = [option.long, option.short].filter((f) => f !== undefined);
        if (!spelt.some((f) => given.includes(f))) problems.push(`${option.long} is required; ${where}`);
      }
      problems.push(...argumentProblems(command, line).map((problem) => `${problem}; ${where}`));
    }
    for (const flag of [...given, ...bracketed]) {
      if (!command.options.some((o) => o.long === flag || o.short === flag))
        problems.push(`${flag} is no option; ${where}`);
    }
  }
  return problems;
}

/** A value a document writes in place of a real one: `<file>`, `"…"`, `...`. */
const isPlaceholder = (value: string): boolean => /[<…]|\.\.\./.test(value);

/** The words of a command line, as a shell splits them (quotes removed); `[...]` groups (optional parts) left out. */
function words(line: string): string[] {
  let text = line;
  for (let before = ''; before !== text;) {
    before = text;
    text = text.replace(/\[[^[\]]*\]/g, ' ');
  }
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** A whole line's positional arguments and option values, judged as the command's own parsers judge them. */
function argumentProblems(command: Command, line: string): string[] {
  const problems: string[] = [];
  // fraudscore, the command, and the subcommand (or its `a|b` alternatives) when there is one.
  const rest = words(line).slice(command.parent?.parent ? 3 : 2);
  let positional = 0;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (!word.startsWith('-')) {
      positional++;
      continue;
    }
    const [flag, inline] = word.split(/=(.*)/s) as [string, string | undefined];
    const option = command.options.find((o) => o.long === flag || o.short === flag);
    if (!option) continue; // said above
    let value = inline;
    const next = rest[i + 1];
    if (value === undefined && (option.required || (option.optional && next !== undefined && !next.startsWith('-')))) {
      value = next;
      i++;
    }
    if (value === undefined || isPlaceholder(value)) continue;
    const problem = valueProblem(option, value);
    if (problem !== null) problems.push(`${flag} ${value}: ${problem}`);
  }
  const required = command.registeredArguments.filter((argument) => argument.required);
  if (positional < required.length) {
    problems.push(`missing argument <${required[positional]!.name()}>`);
  }
  return problems;
}

function valueProblem(option: Option, value: string): string | null {
  if (option.argChoices && !option.argChoices.includes(value)) return `not one of ${option.argChoices.join(', ')}`;
  try {
    option.parseArg?.(value, undefined);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
