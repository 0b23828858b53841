import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

describe('fraudscore lint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-lint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints what the README's example shows for the shipped topology with a misspelt key and a too-long window", () => {
    // The README's mutation: consumerGroup misspelt consumerGrop, batch.maxWaitMs raised to 60000.
    const shipped = readFileSync('topologies/card-payments.yaml', 'utf8');
    const broken = shipped.replace(/^consumerGroup:/m, 'consumerGrop:').replace(/maxWaitMs: \d+/, 'maxWaitMs: 60000');
    assert.notEqual(broken, shipped);
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, broken);
    const result = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lint', file], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
    });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    const readme = readFileSync('README.md', 'utf8');
    const example = /\$ fraudscore lint topologies\/broken\.yaml\n([\s\S]*?)\n```/.exec(readme)?.[1];
    assert.ok(example, 'README.md shows `fraudscore lint topologies/broken.yaml`');
    assert.equal(result.stdout + result.stderr.replaceAll(file, 'topologies/broken.yaml'), `${example}\n`);
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
