import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

describe('fraudscore lint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-lint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints what the README's example shows when its commands are run as written, from the project root", () => {
    const readme = readFileSync('README.md', 'utf8');
    const example = /```\n(\$ sed [^\n]*)\n\$ fraudscore lint (\S+)\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(example, 'README.md shows how to break a copy of the shipped topology, then `fraudscore lint` on it');
    const [, sed, shown, printed] = example as unknown as [string, string, string, string];
    // The README's own command, writing to a directory of this test instead of the reader's /tmp.
    const file = join(dir, 'broken.yaml');
    assert.ok(sed.endsWith(`> ${shown}`), `the sed command writes the file linted: ${sed}`);
    const made = spawnSync('sh', ['-c', `${sed.slice(2, -shown.length)}'${file}'`], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    // It breaks what the prose says it breaks, and nothing else.
    const shipped = readFileSync('topologies/card-payments.yaml', 'utf8');
    const expected = shipped.replace(/^consumerGroup:/m, 'consumerGrop:').replace(/maxWaitMs: \d+/, 'maxWaitMs: 60000');
    assert.notEqual(expected, shipped);
    assert.equal(readFileSync(file, 'utf8'), expected);
    const result = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lint', file], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
    });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.equal(result.stdout + result.stderr.replaceAll(file, shown), `${printed}\n`);
  });

  it('refuses what `evaluate` would refuse at start: a horizon no longer than the label delay', () => {
    const file = join(dir, 'short-horizon.yaml');
    writeFileSync(
      file,
      `${readFileSync('topologies/card-payments.yaml', 'utf8')}\nmonitoring:\n  evaluation:\n    horizonDays: 7\n`,
    );
    const result = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lint', file], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
    });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /^ {2}- monitoring\.evaluation\.horizonDays: 7 days is not longer than the label delay \(features\.labelDelayDays 7\).*Set it above 7\.$/m,
    );
  });
});
