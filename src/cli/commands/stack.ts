import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

const STACK_SCRIPT = fileURLToPath(new URL('../../../../deploy/local/stack.sh', import.meta.url));

function runStack(args: string[]): void {
  const result = spawnSync('bash', [STACK_SCRIPT, ...args], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}

/** The arguments of deploy/local/stack.sh for a subcommand: its flags before the services, as the script reads them. */
export function stackArgs(
  name: string,
  services: readonly string[],
  flags: { purge?: boolean; follow?: boolean },
): string[] {
  return [name, ...(flags.purge ? ['--purge'] : []), ...(flags.follow ? ['-f'] : []), ...services];
}

export function registerStackCommand(program: Command): void {
  const stack = program
    .command('stack')
    .description('The local stack of real services (Kafka KRaft, Apicurio Registry, Redis): no Docker needed.');
  const subcommands = [
    ['up', 'fetch (cached, checksum-verified) and start services; idempotent, waits for health'],
    ['down', 'stop the services this stack started (--purge also deletes their data)'],
    ['status', 'one line per service: pid, port, healthy'],
    ['logs', 'show the tail of each service log (-f: follow it)'],
  ] as const;
  for (const [name, description] of subcommands) {
    const command = stack
      .command(name)
      .description(description)
      .argument(
        '[services...]',
        'kafka, registry, redis (default: all); or prometheus alone (optional, scrapes the workers)',
      );
    // Each flag only where the script takes it: elsewhere it would be ignored (or refused as a service name).
    if (name === 'down') command.option('--purge', 'delete the state directory too');
    if (name === 'logs') command.option('-f, --follow', 'keep following the logs (until interrupted)');
    command.action((services: string[], flags: { purge?: boolean; follow?: boolean }) => {
      runStack(stackArgs(name, services, flags));
    });
  }
}
