import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

const STACK_SCRIPT = fileURLToPath(new URL('../../../../deploy/local/stack.sh', import.meta.url));

function runStack(args: string[]): void {
  const result = spawnSync('bash', [STACK_SCRIPT, ...args], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}

export function registerStackCommand(program: Command): void {
  const stack = program
    .command('stack')
    .description('The local stack of real services (Kafka KRaft, Apicurio Registry, Redis): no Docker needed.');
  for (const [name, description] of [
    ['up', 'fetch (cached, checksum-verified) and start services; idempotent, waits for health'],
    ['down', 'stop the services this stack started (--purge also deletes their data)'],
    ['status', 'one line per service: pid, port, healthy'],
    ['logs', 'show the tail of each service log'],
  ] as const) {
    stack
      .command(name)
      .description(description)
      .argument(
        '[services...]',
        'kafka, registry, redis (default: all); or prometheus alone (optional, scrapes the workers)',
      )
      .option('--purge', 'with down: delete the state directory too')
      .action((services: string[], options: { purge?: boolean }) => {
        runStack([name, ...(options.purge ? ['--purge'] : []), ...services]);
      });
  }
}
