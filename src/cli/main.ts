#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { stopQuietlyWhenReaderGoes } from '../adapters/process/broken-pipe.js';
import { registerCommands } from './commands/index.js';

/** package.json's version: the one release number (dist/src/cli/main.js is three levels below the package root). */
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command()
  .name('fraudscore')
  .description('Streaming microbatch fraud scoring: Kafka in, features shared with training, ONNX scores out.')
  .version(version, '-V, --version', 'print the version (package.json) and exit')
  .showHelpAfterError()
  .enablePositionalOptions();

stopQuietlyWhenReaderGoes();
registerCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`fraudscore: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
});
