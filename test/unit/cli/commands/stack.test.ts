import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stackArgs } from '../../../../src/cli/commands/stack.js';
import { fraudscore } from '../../../support/cli.js';

/** The option lines of a subcommand's --help (only --help is run here: the others would run deploy/local/stack.sh). */
function options(subcommand: string): string {
  const { status, stdout } = fraudscore(['stack', subcommand, '--help']);
  assert.equal(status, 0, stdout);
  return stdout.slice(stdout.indexOf('Options:'));
}

describe('fraudscore stack', () => {
  it('offers --purge with down alone, and -f/--follow with logs alone, as deploy/local/stack.sh takes them', () => {
    assert.match(options('down'), /--purge/);
    assert.match(options('logs'), /-f, --follow/);
    for (const subcommand of ['up', 'status', 'logs']) assert.doesNotMatch(options(subcommand), /--purge/, subcommand);
    for (const subcommand of ['up', 'down', 'status']) assert.doesNotMatch(options(subcommand), /--follow/, subcommand);
  });

  it('refuses --purge where it does nothing, before the script runs', () => {
    const { status, stderr } = fraudscore(['stack', 'up', '--purge']);
    assert.equal(status, 1, stderr);
    assert.match(stderr, /^error: unknown option '--purge'$/m);
  });

  it('passes the flags before the services, where the script reads them', () => {
    assert.deepEqual(stackArgs('logs', ['kafka'], { follow: true }), ['logs', '-f', 'kafka']);
    assert.deepEqual(stackArgs('logs', ['prometheus'], { follow: true }), ['logs', '-f', 'prometheus']);
    assert.deepEqual(stackArgs('down', ['redis'], { purge: true }), ['down', '--purge', 'redis']);
    assert.deepEqual(stackArgs('status', [], {}), ['status']);
  });
});
