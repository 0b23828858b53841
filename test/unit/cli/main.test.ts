import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fraudscore } from '../../support/cli.js';

describe('fraudscore --version', () => {
  it("prints package.json's version, from any directory", () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const { status, stdout, stderr } = fraudscore([flag], { cwd: '/' });
      assert.equal(status, 0, stderr);
      assert.equal(stdout, `${version}\n`);
    }
  });
});
